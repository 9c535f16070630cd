import { useLiveStrategyEvents } from "../../hooks/queries/trading";
import { useTimeZone } from "../../hooks/useTimeZone";
import { formatTime } from "../../lib/format";
import { Empty } from "../States";

/** Deployments' status changes and notices (refused entries, failures) as they happen. */
export function DeploymentEvents() {
  const timeZone = useTimeZone();
  const heard = useLiveStrategyEvents();
  return (
    <article className="panel" aria-labelledby="deployment-events-title">
      <h2 id="deployment-events-title">Deployment events</h2>
      {heard.length === 0 ? (
        <Empty>Status changes and notices of your deployments show here as they happen.</Empty>
      ) : (
        <ol className="events" aria-label="Deployment events">
          {heard.map(({ event, at, seq }) => (
            <li key={`${at}-${seq}`} className={event.severity === "error" ? "down" : undefined}>
              <time>{formatTime(at, timeZone)}</time> #{event.deployment_id} {event.type}: {event.message}
            </li>
          ))}
        </ol>
      )}
    </article>
  );
}
