/** A run's status, with its progress bar and figure while it runs. */
export function Status({ status, progress }: { status: string; progress?: number }) {
  const running = status === "running" || status === "queued";
  const figure = `${Math.round(progress ?? 0)} %`;
  return (
    <span className={`status status-${status}`}>
      {status}
      {running && progress !== undefined && (
        <>
          <progress max={100} value={progress} aria-label={`${status}, ${figure}`} />
          <small className="progress-figure">{figure}</small>
        </>
      )}
    </span>
  );
}
