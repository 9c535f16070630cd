import { useEffect, useRef } from "react";

import { liveHub } from "../api/live";

/** Call `onData` with each message published on `topic` (null: not subscribed). */
export function useLiveTopic(topic: string | null, onData: (data: unknown) => void): void {
  const handler = useRef(onData);
  handler.current = onData;
  useEffect(() => {
    if (!topic) return undefined;
    return liveHub.subscribe(topic, (data) => handler.current(data));
  }, [topic]);
}
