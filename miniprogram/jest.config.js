/**
 * Unit tests (node) for the API client and helpers; page tests (jsdom) with miniprogram-simulate; e2e: the
 * pages against the real server (only with --selectProjects e2e, see package.json).
 */
const ts = ['ts-jest', { tsconfig: '<rootDir>/tests/tsconfig.json' }]

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
      transform: { '^.+\\.ts$': ts },
      moduleFileExtensions: ['ts', 'js', 'json'],
    },
    {
      displayName: 'pages',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/tests/pages/**/*.test.ts'],
      transform: { '^.+\\.ts$': ts },
      moduleFileExtensions: ['ts', 'js', 'json'],
    },
    {
      // The pages against the real Django server and the fake WeChat server (`npm run test:e2e`).
      displayName: 'e2e',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      transform: { '^.+\\.ts$': ts },
      moduleFileExtensions: ['ts', 'js', 'json'],
      globalSetup: '<rootDir>/tests/e2e/global-setup.js',
      globalTeardown: '<rootDir>/tests/e2e/global-teardown.js',
    },
  ],
}
