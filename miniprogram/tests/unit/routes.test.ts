import { goToStep } from '../../utils/routes'
import { type FakeWx, installFakeWx } from '../helpers/fake-wx'

let wxf: FakeWx

beforeEach(() => {
  wxf = installFakeWx()
})

test('the next step is opened on top of the current one', () => {
  wxf.pageStack = ['pages/home/index', 'pages/type/index']
  goToStep('organisation')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/organisation/index' }))
  expect(wxf.navigateBack).not.toHaveBeenCalled()
})

test('修改 from 确认提交 goes back to the open step instead of stacking a copy (the stack holds 10 pages)', () => {
  wxf.pageStack = ['pages/home/index', 'pages/type/index', 'pages/organisation/index', 'pages/evidence/index', 'pages/review/index']
  goToStep('organisation')
  expect(wxf.navigateBack).toHaveBeenCalledWith(expect.objectContaining({ delta: 2 }))
  expect(wxf.navigateTo).not.toHaveBeenCalled()
  expect(wxf.pageStack).toEqual(['pages/home/index', 'pages/type/index', 'pages/organisation/index'])
})
