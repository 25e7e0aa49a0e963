// The prefixes of a context (gitpod.md §5) — `VAR=v,…/`, `referrer:<name>[:<ide>]/`, `imagebuild/`,
// `open-prebuild/<id>/`, in any order, each once — and `snapshot/<id>`, a whole context of its own.
import { splitEnvPrefix } from '../context-url.js';
import { CONTEXT_UUID_RULE, type ContextPrefixes, type ContextTarget } from './types.js';
import { invalid } from './url.js';

/** Names of referrers and IDEs: letters, digits, ".", "_" and "-". */
const REFERRER = /^referrer:([A-Za-z0-9._-]+)(?::([A-Za-z0-9._-]+))?\//;
const OPEN_PREBUILD = /^open-prebuild\/([^/]*)\//;
const UUID_EXAMPLE = '0b3a5c1e-4f2d-4c8a-9e7b-1d2f3a4b5c6d';
const EXAMPLE_CONTEXT = 'https://github.com/owner/repo';

interface PrefixStep {
  /** how users write it, for messages */
  label: string;
  /** what it adds to the prefixes */
  apply: (prefixes: ContextPrefixes) => void;
  rest: string;
}

function referrerStep(text: string): PrefixStep {
  const match = REFERRER.exec(text);
  if (!match) {
    throw invalid(
      'write the referrer prefix as referrer:<name>/<context> or referrer:<name>:<ide>/<context>; a name holds letters, digits, ".", "_" and "-"',
    );
  }
  const [prefix, referrer = '', ide] = match;
  return {
    label: 'referrer:',
    apply: (p) => {
      p.referrer = referrer;
      if (ide) p.referrerIde = ide;
    },
    rest: text.slice(prefix.length),
  };
}

function openPrebuildStep(text: string): PrefixStep {
  const match = OPEN_PREBUILD.exec(text);
  const id = match?.[1]?.toLowerCase() ?? '';
  if (!match || !CONTEXT_UUID_RULE.test(id)) {
    throw invalid(
      `write the open-prebuild prefix as open-prebuild/<prebuild id>/<context>, the id a UUID such as ${UUID_EXAMPLE}`,
    );
  }
  return {
    label: 'open-prebuild/',
    apply: (p) => {
      p.openPrebuildId = id;
    },
    rest: text.slice(match[0].length),
  };
}

function envStep(text: string): PrefixStep {
  const { env, rest } = splitEnvPrefix(text);
  return {
    label: 'VAR=value/',
    apply: (p) => {
      p.env = env;
    },
    rest,
  };
}

/** The prefix at the start of the text, or undefined when the text starts with the context itself. */
function nextPrefix(text: string): PrefixStep | undefined {
  if (text.startsWith('referrer:')) return referrerStep(text);
  if (text.startsWith('imagebuild/')) {
    return {
      label: 'imagebuild/',
      apply: (p) => {
        p.forceImageBuild = true;
      },
      rest: text.slice('imagebuild/'.length),
    };
  }
  if (text.startsWith('open-prebuild/')) return openPrebuildStep(text);
  if (text.startsWith('prebuild/')) {
    throw invalid(
      'the prebuild/ prefix is gone: prebuilds are used automatically, so open the context without it',
    );
  }
  const slash = text.indexOf('/');
  if (slash > 0 && text.slice(0, slash).includes('=')) return envStep(text);
  return undefined;
}

/** Splits the prefixes off the context; the rest is the context itself (a URL or snapshot/<id>). */
export function splitContextPrefixes(text: string): { prefixes: ContextPrefixes; rest: string } {
  const prefixes: ContextPrefixes = { env: {}, forceImageBuild: false };
  const seen = new Set<string>();
  let rest = text;
  for (let step = nextPrefix(rest); step; step = nextPrefix(rest)) {
    if (seen.has(step.label)) {
      const hint =
        step.label === 'VAR=value/' ? ': list every variable in one, VAR1=a,VAR2=b/' : ': keep one';
      throw invalid(`the ${step.label} prefix appears twice in the context URL${hint}`);
    }
    seen.add(step.label);
    step.apply(prefixes);
    rest = step.rest;
    if (rest === '') {
      throw invalid(`the ${step.label} prefix must be followed by a context, such as ${EXAMPLE_CONTEXT}`);
    }
  }
  return { prefixes, rest };
}

/** `snapshot/<id>` (a whole context, not a prefix), or undefined for any other context. */
export function snapshotTarget(text: string): Extract<ContextTarget, { kind: 'snapshot' }> | undefined {
  if (!text.startsWith('snapshot/')) return undefined;
  const id = text.slice('snapshot/'.length).replace(/\/$/, '').toLowerCase();
  if (!CONTEXT_UUID_RULE.test(id)) {
    throw invalid(`"${text}": a snapshot id is a UUID, such as snapshot/${UUID_EXAMPLE}`);
  }
  return { kind: 'snapshot', snapshotId: id };
}
