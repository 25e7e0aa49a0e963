// An API error as the user sees it: the server's message and, when given, its list of problems.
import type { ApiError } from '../api';

export function ErrorMessage({ error, testId }: { error: ApiError | null; testId?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert" data-testid={testId}>
      <p>{error.message}</p>
      {error.details.length > 0 && (
        <ul>
          {error.details.map((d) => (
            <li key={d}>{d}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
