import type { AccountChoice } from "../../hooks/queries/trading";

/** A readable name for an account: `deployment-7` is "Deployment #7". */
export function accountLabel(account: string): string {
  const deployment = /^deployment-(\d+)$/.exec(account);
  if (deployment) return `Deployment #${deployment[1]}`;
  return account === "default" ? "Default (manual orders)" : account;
}

/** Choose one paper account or all of them; a chosen account that is no longer listed stays
 * selectable so the view does not jump while the list refetches. */
export function AccountSelect({ accounts, value, onChange, label = "Account" }: {
  accounts: string[];
  value: AccountChoice;
  onChange: (account: AccountChoice) => void;
  label?: string;
}) {
  const names = value === null || accounts.includes(value) ? accounts : [...accounts, value];
  return (
    <label>
      {label}
      <select value={value ?? ""} onChange={(e) => onChange(e.target.value === "" ? null : e.target.value)}>
        <option value="">All paper accounts</option>
        {names.map((name) => <option key={name} value={name}>{accountLabel(name)}</option>)}
      </select>
    </label>
  );
}
