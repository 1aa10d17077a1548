import { useMemo, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { AdminApiKeysQuery as AdminApiKeysResult } from "../gql/graphql";
import { DataTable, type ColumnDef } from "../ui/DataTable";
import { Dialog } from "../ui/Dialog";
import { Field } from "../ui/Field";
import { formatDateTime } from "../ui/format";
import { ErrorNotice, QueryState } from "../ui/QueryState";
import { StateBadge } from "./common";
import { fieldErrors } from "../ui/errors";

const AdminApiKeysQuery = graphql(`
  query AdminApiKeys {
    apiKeys {
      id
      name
      prefix
      createdAt
      lastUsedAt
      revokedAt
    }
  }
`);

const AdminCreateApiKeyMutation = graphql(`
  mutation AdminCreateApiKey($name: String!) {
    createApiKey(name: $name) {
      id
      name
      token
    }
  }
`);

const AdminRevokeApiKeyMutation = graphql(`
  mutation AdminRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

type Key = AdminApiKeysResult["apiKeys"][number];

/** The admin's API keys: create one (its token shown once), list them, revoke one after confirming. */
export function AdminApiKeys() {
  const [result, refetch] = useQuery({ query: AdminApiKeysQuery });
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | undefined>();
  const [created, create] = useMutation(AdminCreateApiKeyMutation);
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setNameError("Enter a name, e.g. the script or tool that will use the key.");
      return;
    }
    setNameError(undefined);
    const answer = await create({ name: name.trim() });
    const key = answer.data?.createApiKey;
    if (key) {
      setShown({ name: key.name, token: key.token });
      setCopied(false);
      setName("");
      refetch({ requestPolicy: "network-only" });
    }
  }

  async function copy(token: string) {
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  const columns = useMemo<Array<ColumnDef<Key, any>>>(
    () => [
      { id: "name", header: "Name", accessorKey: "name" },
      { id: "prefix", header: "Starts with", accessorKey: "prefix", cell: (info) => <code>{info.getValue() as string}…</code> },
      { id: "created", header: "Created", accessorKey: "createdAt", cell: (info) => formatDateTime(info.getValue() as string) },
      {
        id: "used",
        header: "Last used",
        accessorKey: "lastUsedAt",
        cell: (info) => formatDateTime(info.getValue() as string | null),
      },
      {
        id: "state",
        header: "State",
        accessorFn: (key) => (key.revokedAt ? "Revoked" : "Active"),
        cell: (info) =>
          info.row.original.revokedAt ? (
            <span>
              <StateBadge active={false} off="Revoked" />{" "}
              <span className="muted">{formatDateTime(info.row.original.revokedAt)}</span>
            </span>
          ) : (
            <StateBadge active />
          ),
      },
      {
        id: "actions",
        header: "Actions",
        enableSorting: false,
        cell: (info) => (info.row.original.revokedAt ? null : <RevokeKey apiKey={info.row.original} />),
      },
    ],
    [],
  );

  const serverErrors = fieldErrors(created.error);
  return (
    <div className="stack">
      <form className="card stack" onSubmit={submit} noValidate aria-labelledby="new-key-title">
        <h2 id="new-key-title">New API key</h2>
        <p className="muted">A key acts as you, for scripts and BI tools. Its token is shown once, right after it is created.</p>
        <Field label="Key name" error={nameError ?? serverErrors.name}>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} />
        </Field>
        {created.error && !serverErrors.name && <ErrorNotice error={created.error} />}
        <div>
          <button type="submit" className="button primary" disabled={created.fetching}>
            {created.fetching ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
      {shown && (
        <section className="notice notice-warn" aria-labelledby="token-title">
          <h3 id="token-title">Token of “{shown.name}”</h3>
          <p>
            <strong>Copy it now: it will not be shown again.</strong> Only a hash is stored; a lost token cannot be recovered,
            only revoked and replaced.
          </p>
          <code className="admin-token" aria-label="New API token">
            {shown.token}
          </code>
          <div className="row">
            <button type="button" className="button" onClick={() => void copy(shown.token)}>
              Copy token
            </button>
            <button type="button" className="button subtle" onClick={() => setShown(null)}>
              I have stored it, hide it
            </button>
            <span role="status">{copied ? "Copied." : ""}</span>
          </div>
        </section>
      )}
      <section className="stack" aria-labelledby="keys-title">
        <h2 id="keys-title">Your API keys</h2>
        <QueryState result={result} isEmpty={(data) => data.apiKeys.length === 0} empty="No API key yet.">
          {(data) => (
            <DataTable
              caption="API keys"
              columns={columns}
              data={data.apiKeys}
              initialSorting={[{ id: "created", desc: true }]}
            />
          )}
        </QueryState>
      </section>
    </div>
  );
}

function RevokeKey({ apiKey }: { apiKey: Key }) {
  const [open, setOpen] = useState(false);
  const [result, revoke] = useMutation(AdminRevokeApiKeyMutation);
  return (
    <Dialog
      trigger={
        <button type="button" className="button" aria-label={`Revoke ${apiKey.name}`}>
          Revoke
        </button>
      }
      title={`Revoke “${apiKey.name}”?`}
      description="Scripts and tools that use this key stop working at once. This cannot be undone."
      open={open}
      onOpenChange={setOpen}
    >
      <div className="stack">
        {result.error && <ErrorNotice error={result.error} />}
        <div className="row">
          <button
            type="button"
            className="button primary"
            disabled={result.fetching}
            onClick={async () => {
              const answer = await revoke({ id: apiKey.id });
              if (!answer.error) setOpen(false);
            }}
          >
            Revoke key
          </button>
          <button type="button" className="button" onClick={() => setOpen(false)}>
            Keep it
          </button>
        </div>
      </div>
    </Dialog>
  );
}
