import { useMe } from "./queries/users";

/** The signed-in user's time zone (users/me), else the browser's. */
export function useTimeZone(): string {
  const me = useMe();
  return me.data?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}
