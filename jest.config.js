// Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles
// (isolatedModules in tsconfig makes it use transpileModule).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  // Real-process tests run dist/: rebuilt first when src/ is newer.
  globalSetup: '<rootDir>/test/support/fresh-build.js',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
  maxWorkers: 2,
};
