// The context-URL parser's entry: checks the text, splits the prefixes, finds the host's provider and
// hands the URL to its SCM parser. Pure: it says what the URL asks for; the server resolves it.
import { parseAzureDevOps } from './azure-devops.js';
import { parseBitbucket } from './bitbucket.js';
import { parseBitbucketServer } from './bitbucket-server.js';
import { parseGitUrl } from './git.js';
import { parseGitHub } from './github.js';
import { parseGitLab } from './gitlab.js';
import { snapshotTarget, splitContextPrefixes } from './prefixes.js';
import { findSshProvider, findWebProvider, type ScmProviderHost } from './providers.js';
import type { ProviderUrl } from './targets.js';
import type { ContextTarget, ParsedContext } from './types.js';
import { type ContextLocation, decodeSegments, invalid, readLocation } from './url.js';

/** Longer contexts are refused before any parsing. */
export const MAX_CONTEXT_URL_LENGTH = 4096;

function checkText(input: string): string {
  const text = input.trim();
  if (text === '') {
    throw invalid('the context URL is empty: give a repository URL such as https://github.com/owner/repo');
  }
  if (text.length > MAX_CONTEXT_URL_LENGTH) {
    throw invalid(
      `the context URL has ${text.length} characters, more than the ${MAX_CONTEXT_URL_LENGTH} accepted: shorten it`,
    );
  }
  if (/[\s\p{Cc}]/u.test(text)) {
    throw invalid('the context URL holds white space or control characters: write a space in a name as %20');
  }
  return text;
}

function parseProviderUrl(url: ProviderUrl): ContextTarget {
  switch (url.provider.type) {
    case 'github':
      return parseGitHub(url);
    case 'gitlab':
      return parseGitLab(url);
    case 'bitbucket':
      return parseBitbucket(url);
    case 'bitbucket-server':
      return parseBitbucketServer(url);
    case 'azure-devops':
      return parseAzureDevOps(url);
  }
}

/** The target and the normalized context URL of an http(s) or ssh location. */
function parseLocation(
  location: ContextLocation,
  providers: readonly ScmProviderHost[],
  display: string,
): { target: ContextTarget; normalized: string } {
  const segments = decodeSegments(display, location.rawSegments);
  const base = { query: location.query, display };
  let url: ProviderUrl | undefined;
  if (location.transport === 'ssh') {
    const provider = findSshProvider(providers, location.host);
    if (provider) url = { ...base, provider, segments, viaSsh: true };
  } else {
    const match = findWebProvider(providers, location.host, segments);
    if (match) url = { ...base, provider: match.provider, segments: match.rest, viaSsh: false };
  }
  if (!url) {
    const target = parseGitUrl(location, display);
    return { target, normalized: 'cloneUrl' in target ? target.cloneUrl : display };
  }
  const target = parseProviderUrl(url);
  if (url.viaSsh) {
    // an ssh clone URL of a provider stands for its https form, as in Gitpod
    return { target, normalized: 'repository' in target ? target.repository.cloneUrl : display };
  }
  const path = location.rawSegments.join('/');
  return { target, normalized: `${location.transport}://${location.host}/${path}${location.search}` };
}

/**
 * Parses a context (gitpod.md §5): optional prefixes, then `snapshot/<id>` or a URL — a page of a
 * configured provider (`providers`, see DEFAULT_SCM_PROVIDERS) or a git URL on any other host.
 * Throws AppError('invalid_argument') with a message that names the problem and the fix.
 */
export function parseContext(input: string, providers: readonly ScmProviderHost[]): ParsedContext {
  const text = checkText(input);
  const { prefixes, rest } = splitContextPrefixes(text);
  const snapshot = snapshotTarget(rest);
  if (snapshot) return { ...snapshot, ...prefixes, normalizedContextUrl: `snapshot/${snapshot.snapshotId}` };
  const { target, normalized } = parseLocation(readLocation(rest), providers, rest);
  return { ...target, ...prefixes, normalizedContextUrl: normalized };
}
