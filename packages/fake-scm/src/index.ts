// Public surface of @atelier/fake-scm: fakes of GitHub, GitLab, Bitbucket Cloud, Bitbucket Server and
// Azure DevOps for tests.
export { startFakeAzureDevOps } from './fake-azure-devops.js';
export { startFakeBitbucket } from './fake-bitbucket.js';
export { startFakeBitbucketServer } from './fake-bitbucket-server.js';
export { startFakeGitHub } from './fake-github.js';
export { startFakeGitLab } from './fake-gitlab.js';
export type {
  FakeScm,
  FakeScmApp,
  FakeScmEvent,
  FakeScmRepo,
  FakeScmSpec,
  FakeScmUser,
} from './repos.js';
