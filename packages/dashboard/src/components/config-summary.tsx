// Where a workspace's configuration came from (.gitpod.yml, devcontainer.json or the defaults) and
// the warnings found in it, such as "both files exist: .gitpod.yml wins".
import type { WorkspaceConfigSummary } from '@atelier/protocol';

const ORIGIN: Record<WorkspaceConfigSummary['origin'], string> = {
  gitpod: 'Gitpod configuration',
  devcontainer: 'Dev container configuration',
  default: 'no .gitpod.yml or devcontainer.json in the repository: the default image, no tasks',
};

export function ConfigSummary({ config }: { config: WorkspaceConfigSummary | null }) {
  if (!config) return null;
  return (
    <section className="config-summary" aria-label="Configuration" data-testid="config-summary">
      <p>
        Configuration:{' '}
        {config.file ? (
          <>
            <code data-testid="config-file">{config.file}</code>{' '}
            <span className="sub">({ORIGIN[config.origin]})</span>
          </>
        ) : (
          <span className="sub">{ORIGIN[config.origin]}</span>
        )}
      </p>
      {config.warnings.length > 0 && (
        <ul className="config-warnings" data-testid="config-warnings">
          {config.warnings.map((w) => (
            <li key={`${w.file}: ${w.message}`}>
              {/* the message usually names its file; say which one when it does not */}
              {w.message.includes(w.file) ? w.message : `${w.file}: ${w.message}`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
