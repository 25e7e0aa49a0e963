// Context URLs (gitpod.md §5): what a link asks for, parsed without calling any SCM.
export { MAX_CONTEXT_URL_LENGTH, parseContext } from './parse.js';
export {
  DEFAULT_SCM_PROVIDERS,
  SCM_PROVIDER_NAMES,
  SCM_TYPE_OF_AUTH_PROVIDER_TYPE,
  type ScmProviderHost,
  scmProviderHostSchema,
} from './providers.js';
export {
  issueBranchName,
  localBranchSchema,
  parseStoredContext,
  type ResolvedContext,
  referrerIdeChoice,
  resolvedContextSchema,
} from './resolved.js';
export {
  type ContextPrefixes,
  type ContextRef,
  type ContextRepository,
  type ContextTarget,
  contextPrefixesSchema,
  contextRefSchema,
  contextRepositorySchema,
  contextTargetSchema,
  type ParsedContext,
  parsedContextSchema,
  SCM_PROVIDER_TYPES,
  type ScmProviderType,
  scmProviderTypeSchema,
} from './types.js';
