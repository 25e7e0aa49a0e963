// Which file of a repository configures its workspace: .gitpod.yml wins over devcontainer.json
// (and the result says so), then the Dev Containers spec's locations in its order.
import { parseDevcontainer } from './devcontainer.js';
import { parseGitpodYml } from './gitpod-yml.js';
import type { WorkspaceConfig } from './types.js';

export const GITPOD_YML = '.gitpod.yml';
const DEVCONTAINER_FIXED = ['.devcontainer/devcontainer.json', '.devcontainer.json'];
const DEVCONTAINER_NAMED = /^\.devcontainer\/[^/]+\/devcontainer\.json$/;

/** The repository-relative paths that may configure a workspace, in the order they are tried. */
export function configCandidates(paths: readonly string[]): string[] {
  const present = new Set(paths);
  const named = paths.filter((p) => DEVCONTAINER_NAMED.test(p)).sort();
  return [GITPOD_YML, ...DEVCONTAINER_FIXED, ...named].filter((p) => present.has(p));
}

/**
 * The workspace configuration from the files of a repository (path → text; only the candidates
 * need to be there). No file: the default configuration. Invalid file: its AppError.
 */
export function loadWorkspaceConfig(files: ReadonlyMap<string, string>): WorkspaceConfig {
  const [chosen, ...others] = configCandidates([...files.keys()]);
  if (chosen === undefined) {
    return {
      origin: 'default',
      image: { kind: 'default' },
      features: [],
      tasks: [],
      ports: [],
      env: {},
      gitConfig: {},
      vscodeExtensions: [],
      additionalRepositories: [],
      warnings: [],
    };
  }
  const text = files.get(chosen) ?? '';
  const config = chosen === GITPOD_YML ? parseGitpodYml(text, chosen) : parseDevcontainer(text, chosen);
  if (others.length > 0) {
    config.warnings.push({
      file: chosen,
      message: `${chosen} configures this workspace; ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} not used`,
    });
  }
  return config;
}
