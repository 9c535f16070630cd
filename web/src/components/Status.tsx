/** A run's status, with its progress while it runs. */
export function Status({ status, progress }: { status: string; progress?: number }) {
  const running = status === "running" || status === "queued";
  return (
    <span className={`status status-${status}`}>
      {status}
      {running && progress !== undefined && (
        <progress max={100} value={progress} aria-label={`${status}, ${Math.round(progress)} %`}>
          {Math.round(progress)} %
        </progress>
      )}
    </span>
  );
}
