import { useEffect, useRef } from "react";

import { type LiveMessage, liveHub } from "../api/live";

/** Call `onMessage` with the snapshot and each event of `channel` (null: not subscribed). */
export function useLiveTopic(
  channel: string | null,
  onMessage: (message: LiveMessage) => void,
): void {
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    if (!channel) return undefined;
    return liveHub.subscribe(channel, (message) => handler.current(message));
  }, [channel]);
}
