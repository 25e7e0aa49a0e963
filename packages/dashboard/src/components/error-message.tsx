// An API error as the user sees it: the server's message and, when given, its list of problems
// (for an invalid .gitpod.yml or devcontainer.json: one `file:line:column: key: what is wrong` each).
import type { ApiError } from '../api';

export function ErrorMessage({ error, testId }: { error: ApiError | null; testId?: string }) {
  if (!error) return null;
  // a message that lists its problems on further lines shows them below instead, one per item
  const headline = error.details.length > 0 ? (error.message.split('\n')[0] ?? '') : error.message;
  const listed = error.details.length === 1 && error.details[0] === headline ? [] : error.details;
  return (
    <div className="error" role="alert" data-testid={testId}>
      <p>{headline}</p>
      {listed.length > 0 && (
        <ul>
          {listed.map((d) => (
            <li key={d} data-testid="error-detail">
              {d}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
