import { useSyncExternalStore } from "react";

import { getAccessToken, subscribeAuth } from "../api/auth";

/** Whether this tab holds an access token; re-renders on sign-in and sign-out. */
export function useSignedIn(): boolean {
  return useSyncExternalStore(subscribeAuth, () => getAccessToken() !== null);
}
