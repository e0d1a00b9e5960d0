import { config } from '../../config'
import {
  api,
  ApiError,
  downloadSheet,
  idempotentAction,
  NetworkError,
  newIdempotencyKey,
  toApiError,
  uploadEvidence,
} from '../../utils/api'
import { getToken, setToken } from '../../utils/storage'
import { BASE, errorBody, type FakeWx, installFakeWx } from '../helpers/fake-wx'

const FUTURE = '2999-01-01T00:00:00Z'
let wxf: FakeWx

beforeEach(() => {
  wxf = installFakeWx()
})

const student = { student_number: '2021001', name: '张三', must_change_password: false }

describe('requests', () => {
  test('a GET goes to the configured base with the stored token', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('GET', '/api/v1/me', { status: 200, body: student })
    await expect(api.get('/api/v1/me')).resolves.toEqual(student)
    const [sent] = wxf.sent
    expect(sent.url).toBe(`${BASE}/api/v1/me`)
    expect(sent.header.Authorization).toBe('Bearer qx_abc')
  })

  test('the base URL comes from config.ts, a trailing slash tolerated', async () => {
    config.apiBase = 'https://other.example.edu.cn/'
    wxf.on('GET', 'https://other.example.edu.cn/api/v1/me', { status: 200, body: student })
    await api.get('/api/v1/me')
    expect(wxf.sent[0].url).toBe('https://other.example.edu.cn/api/v1/me')
  })

  test('without a token no Authorization header is sent', async () => {
    wxf.on('GET', '/api/v1/me', { status: 200, body: student })
    await api.get('/api/v1/me')
    expect(wxf.sent[0].header.Authorization).toBeUndefined()
  })

  test('bind and login never send the token (auth: false)', async () => {
    setToken('qx_old', FUTURE)
    wxf.on('POST', '/api/v1/auth/login', { status: 200, body: { token: 't', expires_at: FUTURE, student } })
    await api.post('/api/v1/auth/login', { auth: false, body: { code: 'c' } })
    expect(wxf.sent[0].header.Authorization).toBeUndefined()
    expect(wxf.sent[0].data).toEqual({ code: 'c' })
    expect(wxf.sent[0].header['Content-Type']).toBe('application/json')
  })

  test('path parameters are filled in and encoded', async () => {
    wxf.on('GET', '/api/v1/organisations/91310000MA1K%2F0000', { status: 200, body: {} })
    await api.get('/api/v1/organisations/{uscc}', { path: { uscc: '91310000MA1K/0000' } })
    expect(wxf.sent[0].path).toBe('/api/v1/organisations/91310000MA1K%2F0000')
  })

  test('a 204 answer resolves to undefined', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('POST', '/api/v1/auth/logout', { status: 204 })
    await expect(api.post('/api/v1/auth/logout')).resolves.toBeUndefined()
  })
})

describe('the error shape', () => {
  test('{code, message, fields} becomes an ApiError with the same parts', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('PUT', '/api/v1/registration/organisation', {
      status: 422,
      body: errorBody('invalid', '统一社会信用代码校验位不正确。', { org_uscc: ['统一社会信用代码校验位不正确。'] }),
    })
    const err = await api.put('/api/v1/registration/organisation', { body: { org_uscc: 'X' } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({
      status: 422,
      code: 'invalid',
      message: '统一社会信用代码校验位不正确。',
      fields: { org_uscc: ['统一社会信用代码校验位不正确。'] },
      redirected: false,
    })
  })

  test('a proxy page instead of our JSON still gives a Chinese message', () => {
    expect(toApiError(502, '<html>Bad Gateway</html>')).toMatchObject({ code: 'unavailable', message: '系统维护中或暂时繁忙，请稍后再试。' })
    expect(toApiError(418, null)).toMatchObject({ code: 'http_418', message: '系统繁忙，请稍后再试。' })
    // A proxy's own body-size limit answers before Django can say 413 in our shape.
    expect(toApiError(413, '<html>413 Request Entity Too Large</html>')).toMatchObject({ code: 'too_large' })
  })

  test('an error body given as a JSON string (uploads, downloads) is parsed', () => {
    const err = toApiError(422, JSON.stringify(errorBody('invalid_file', '文件内容与扩展名不符。', { file: ['文件内容与扩展名不符。'] })))
    expect(err).toMatchObject({ code: 'invalid_file', fields: { file: ['文件内容与扩展名不符。'] } })
  })
})

describe('401 and 403', () => {
  test('401 on an authenticated call drops the token and goes back to 绑定', async () => {
    setToken('qx_expired', FUTURE)
    wxf.pageStack = ['pages/home/index']
    wxf.on('GET', '/api/v1/me', { status: 401, body: errorBody('unauthorized', '登录已过期或令牌无效，请重新登录。') })
    const err = await api.get('/api/v1/me').catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 401, redirected: true })
    expect(getToken()).toBeNull()
    expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=expired' }))
  })

  test('401 from bind (wrong password) is an answer to show, not an expired session', async () => {
    wxf.on('POST', '/api/v1/auth/bind', { status: 401, body: errorBody('login_failed', '学号或密码不正确。初始密码为身份证号后六位（末位 x 大小写均可）。') })
    const err = await api
      .post('/api/v1/auth/bind', { auth: false, body: { code: 'c', student_number: '1', password: 'p' } })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'login_failed', redirected: false })
    expect(wxf.reLaunch).not.toHaveBeenCalled()
  })

  test('403 password_change_required opens the forced 修改密码 page', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('GET', '/api/v1/registration', { status: 403, body: errorBody('password_change_required', '请先修改初始密码。') })
    const err = await api.get('/api/v1/registration').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'password_change_required', redirected: true })
    expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index?forced=1' }))
    expect(getToken()).toBe('qx_abc') // still logged in: the password page needs the token
  })

  test('another 403 is shown, not redirected', async () => {
    wxf.on('POST', '/api/v1/auth/login', { status: 403, body: errorBody('wechat_blocked', '微信判定该账号存在风险，暂时无法登录。') })
    const err = await api.post('/api/v1/auth/login', { auth: false, body: { code: 'c' } }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'wechat_blocked', redirected: false })
    expect(wxf.reLaunch).not.toHaveBeenCalled()
  })

  test('no redirect loop: already on the password page, a 403 does not reLaunch it again', async () => {
    setToken('qx_abc', FUTURE)
    wxf.pageStack = ['pages/password/index']
    wxf.on('GET', '/api/v1/me', { status: 403, body: errorBody('password_change_required', '请先修改初始密码。') })
    await api.get('/api/v1/me').catch(() => undefined)
    expect(wxf.reLaunch).not.toHaveBeenCalled()
  })
})

describe('network failures and retries', () => {
  test('no answer becomes a NetworkError with a Chinese message', async () => {
    wxf.on('POST', '/api/v1/registration', { fail: 'request:fail net::ERR_INTERNET_DISCONNECTED' })
    const err = await api.post('/api/v1/registration').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NetworkError)
    expect(err).toMatchObject({ message: '网络连接失败，请检查网络后重试。', timeout: false })
  })

  test('a timeout says so', async () => {
    wxf.on('POST', '/api/v1/registration', { fail: 'request:fail timeout' })
    await expect(api.post('/api/v1/registration')).rejects.toMatchObject({ timeout: true, message: '网络超时，请检查网络后重试。' })
  })

  test('a domain missing from the admin console whitelist is named as such', async () => {
    wxf.on('GET', '/api/v1/me', { fail: 'request:fail url not in domain list' })
    await expect(api.get('/api/v1/me')).rejects.toMatchObject({ message: '小程序尚未配置服务器域名，请联系学校就业指导中心。' })
  })

  test('a GET is retried after a network failure', async () => {
    wxf.on('GET', '/api/v1/me', { fail: 'request:fail' }, { status: 200, body: student })
    await expect(api.get('/api/v1/me')).resolves.toEqual(student)
    expect(wxf.sentTo('GET', '/api/v1/me')).toHaveLength(2)
  })

  test('a GET is retried after 503 (maintenance), then succeeds', async () => {
    wxf.on('GET', '/api/v1/me', { status: 503, body: errorBody('unavailable', '系统维护中') }, { status: 200, body: student })
    await expect(api.get('/api/v1/me')).resolves.toEqual(student)
  })

  test('a GET gives up after the configured retries', async () => {
    wxf.on('GET', '/api/v1/me', { fail: 'request:fail' })
    await expect(api.get('/api/v1/me')).rejects.toBeInstanceOf(NetworkError)
    expect(wxf.sentTo('GET', '/api/v1/me')).toHaveLength(1 + config.getRetryDelaysMs.length)
  })

  test('a GET waits before retrying', async () => {
    jest.useFakeTimers()
    try {
      config.getRetryDelaysMs = [1000]
      wxf.on('GET', '/api/v1/me', { fail: 'request:fail' }, { status: 200, body: student })
      const pending = api.get('/api/v1/me')
      await jest.advanceTimersByTimeAsync(999)
      expect(wxf.sent).toHaveLength(1)
      await jest.advanceTimersByTimeAsync(10)
      await expect(pending).resolves.toEqual(student)
      expect(wxf.sent).toHaveLength(2)
    } finally {
      jest.useRealTimers()
    }
  })

  test('a GET answered 4xx is not retried', async () => {
    wxf.on('GET', '/api/v1/registration', { status: 404, body: errorBody('no_registration', '您还没有开始登记') })
    await expect(api.get('/api/v1/registration')).rejects.toMatchObject({ code: 'no_registration' })
    expect(wxf.sent).toHaveLength(1)
  })

  test.each([
    ['POST', '/api/v1/registration/submit'],
    ['PUT', '/api/v1/registration/type'],
    ['DELETE', '/api/v1/registration/evidence/{evidence_id}'],
  ])('a write (%s %s) is never retried by the client', async (method, path) => {
    const concrete = path.replace('{evidence_id}', '7')
    wxf.on(method, concrete, { fail: 'request:fail' })
    const call =
      method === 'POST'
        ? api.post('/api/v1/registration/submit')
        : method === 'PUT'
          ? api.put('/api/v1/registration/type', { body: { destination_type: 'general' } })
          : api.delete('/api/v1/registration/evidence/{evidence_id}', { path: { evidence_id: 7 } })
    await expect(call).rejects.toBeInstanceOf(NetworkError)
    expect(wxf.sent).toHaveLength(1)
  })

  test('a write answered 503 is not retried either', async () => {
    wxf.on('POST', '/api/v1/registration/submit', { status: 503, body: errorBody('unavailable', '系统维护中') })
    await expect(api.post('/api/v1/registration/submit')).rejects.toMatchObject({ status: 503 })
    expect(wxf.sent).toHaveLength(1)
  })
})

describe('Idempotency-Key', () => {
  test('sent when the call has one, absent otherwise', async () => {
    wxf.on('POST', '/api/v1/registration/submit', { status: 200, body: {} })
    await api.post('/api/v1/registration/submit', { idempotencyKey: 'k-1' })
    await api.post('/api/v1/registration/submit')
    expect(wxf.sent[0].header['Idempotency-Key']).toBe('k-1')
    expect(wxf.sent[1].header['Idempotency-Key']).toBeUndefined()
  })

  test('keys are UUID v4, unique, and within the server limit of 100 characters', () => {
    const keys = new Set(Array.from({ length: 200 }, () => newIdempotencyKey()))
    expect(keys.size).toBe(200)
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  test('重试 after no answer sends the same key; the next action gets a new one', async () => {
    wxf.on('POST', '/api/v1/registration/submit', { fail: 'request:fail' }, { status: 200, body: { submitted: true } }, { status: 200, body: {} })
    const submit = idempotentAction((key) => api.post('/api/v1/registration/submit', { idempotencyKey: key }))
    await expect(submit()).rejects.toBeInstanceOf(NetworkError)
    await submit()
    await submit()
    const keys = wxf.sent.map((s) => s.header['Idempotency-Key'])
    expect(keys[0]).toBe(keys[1])
    expect(keys[2]).not.toBe(keys[1])
  })

  test('the key also survives 409 in_progress and a 5xx (outcome unknown)', async () => {
    wxf.on(
      'POST',
      '/api/v1/registration/submit',
      { status: 409, body: errorBody('in_progress', '相同的请求正在处理中，请稍后查看结果。') },
      { status: 504, body: '<html>Gateway Timeout</html>' },
      { status: 200, body: {} },
    )
    const submit = idempotentAction((key) => api.post('/api/v1/registration/submit', { idempotencyKey: key }))
    await submit().catch(() => undefined)
    await submit().catch(() => undefined)
    await submit()
    const keys = new Set(wxf.sent.map((s) => s.header['Idempotency-Key']))
    expect(keys.size).toBe(1)
  })

  test('a definite refusal (409 state_conflict) ends the action: the corrected retry is a new request', async () => {
    wxf.on('POST', '/api/v1/registration/submit', { status: 409, body: errorBody('state_conflict', '请先完成所有步骤。') }, { status: 200, body: {} })
    const submit = idempotentAction((key) => api.post('/api/v1/registration/submit', { idempotencyKey: key }))
    await submit().catch(() => undefined)
    await submit()
    expect(wxf.sent[0].header['Idempotency-Key']).not.toBe(wxf.sent[1].header['Idempotency-Key'])
  })
})

describe('uploadEvidence', () => {
  const evidence = { id: 5, name: '协议书.pdf', content_type: 'application/pdf', size: 1234, uploaded_at: FUTURE }

  test('one multipart file named "file", with token, key and progress', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('POST', '/api/v1/registration/evidence', { status: 201, body: evidence, progress: [30, 100] })
    const progress: number[] = []
    const result = await uploadEvidence({ filePath: 'wxfile://tmp/a.pdf', idempotencyKey: 'up-1', onProgress: (p) => progress.push(p) })
    expect(result).toEqual(evidence)
    expect(progress).toEqual([30, 100])
    expect(wxf.sent[0]).toMatchObject({
      kind: 'upload',
      name: 'file',
      filePath: 'wxfile://tmp/a.pdf',
      header: { Authorization: 'Bearer qx_abc', 'Idempotency-Key': 'up-1' },
    })
  })

  test('a refused file gives the server field message', async () => {
    wxf.on('POST', '/api/v1/registration/evidence', {
      status: 422,
      body: errorBody('invalid_file', '文件内容不是 PDF 或图片。', { file: ['文件内容不是 PDF 或图片。'] }),
    })
    await expect(uploadEvidence({ filePath: 'x.pdf', idempotencyKey: 'k' })).rejects.toMatchObject({
      code: 'invalid_file',
      fields: { file: ['文件内容不是 PDF 或图片。'] },
    })
  })

  test('a dropped upload is a NetworkError and is not retried by the client', async () => {
    wxf.on('POST', '/api/v1/registration/evidence', { fail: 'uploadFile:fail socket closed' })
    await expect(uploadEvidence({ filePath: 'x.pdf', idempotencyKey: 'k' })).rejects.toBeInstanceOf(NetworkError)
    expect(wxf.sent).toHaveLength(1)
  })

  test('401 during an upload goes back to 绑定', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('POST', '/api/v1/registration/evidence', { status: 401, body: errorBody('unauthorized', '登录已过期') })
    await expect(uploadEvidence({ filePath: 'x.pdf', idempotencyKey: 'k' })).rejects.toMatchObject({ redirected: true })
    expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=expired' }))
  })
})

describe('downloadSheet', () => {
  test('downloads with the token and resolves to the temp file', async () => {
    setToken('qx_abc', FUTURE)
    wxf.on('GET', '/api/v1/registrations/9/sheet', { status: 200, body: '%PDF-1.4' })
    const file = await downloadSheet(9)
    expect(wxf.files.get(file)).toBe('%PDF-1.4')
    expect(wxf.sent[0]).toMatchObject({ kind: 'download', header: { Authorization: 'Bearer qx_abc' } })
  })

  test('a refusal is read from the downloaded body', async () => {
    wxf.on('GET', '/api/v1/registrations/9/sheet', { status: 409, body: errorBody('not_verified', '登记鉴证通过后才能下载登记表。') })
    await expect(downloadSheet(9)).rejects.toMatchObject({ code: 'not_verified', message: '登记鉴证通过后才能下载登记表。' })
  })

  test('a download is retried like a GET', async () => {
    wxf.on('GET', '/api/v1/registrations/9/sheet', { fail: 'downloadFile:fail' }, { status: 200, body: '%PDF' })
    await expect(downloadSheet(9)).resolves.toMatch(/^wxfile:/)
    expect(wxf.sent).toHaveLength(2)
  })
})
