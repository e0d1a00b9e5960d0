/** Unit tests (node) for the API client and helpers; page tests (jsdom) with miniprogram-simulate. */
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
  ],
}
