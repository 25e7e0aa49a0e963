// Public surface of @atelier/fake-scm: fakes of GitHub, GitLab and Bitbucket Cloud for tests.
export { startFakeGitHub } from './fake-github.js';
export type {
  FakeScm,
  FakeScmApp,
  FakeScmEvent,
  FakeScmRepo,
  FakeScmSpec,
  FakeScmUser,
} from './repos.js';
