import { useState } from "react";
import { Navigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { ErrorNotice, Loading, QueryState } from "../ui/QueryState";
import { oidcClient } from "./oidc";
import { startSession, takeEndReason } from "./session";
import { useSession } from "./use-session";

const SignInOptionsQuery = graphql(`
  query SignInOptions {
    signInOptions {
      demo
      oidc {
        issuer
        clientId
        scope
      }
    }
  }
`);

const DemoAccountsQuery = graphql(`
  query DemoAccounts {
    demoAccounts {
      id
      name
      email
      role
      teamNames
    }
  }
`);

const DemoSignInMutation = graphql(`
  mutation DemoSignIn($userId: ID!) {
    demoSignIn(userId: $userId) {
      token
      expiresAt
    }
  }
`);

const ROLE_LABEL = { ADMIN: "Admin", MANAGER: "Manager", USER: "Member" } as const;

/** Sign-in: the identity provider (OpenID Connect), and on demo data one click per demo person. */
export function SignInPage() {
  const session = useSession();
  const [endReason] = useState(takeEndReason);
  const [options] = useQuery({ query: SignInOptionsQuery });
  if (session) return <Navigate to="/" replace />;

  return (
    <main id="main" className="signin">
      <h1>KPI dashboard</h1>
      {endReason && (
        <p className="notice" role="status">
          {endReason}
        </p>
      )}
      <QueryState result={options}>
        {({ signInOptions }) => (
          <>
            {signInOptions.oidc && <OidcSignIn settings={signInOptions.oidc} />}
            {signInOptions.demo && <DemoSignIn />}
            {!signInOptions.oidc && !signInOptions.demo && (
              <p className="notice">
                This server has no sign-in for the dashboard configured. Scripts and BI tools use API keys or tokens; an
                administrator can set OIDC_ISSUER to sign people in with the company's identity provider.
              </p>
            )}
          </>
        )}
      </QueryState>
    </main>
  );
}

function OidcSignIn({ settings }: { settings: { issuer: string; clientId: string; scope: string } }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signIn = async () => {
    setBusy(true);
    setError(null);
    try {
      await (await oidcClient(settings)).signinRedirect();
    } catch {
      setBusy(false);
      setError(`The identity provider at ${settings.issuer} could not be reached. Try again in a moment.`);
    }
  };
  return (
    <section className="card" aria-labelledby="oidc-heading">
      <h2 id="oidc-heading">Company account</h2>
      <button type="button" className="button primary" onClick={signIn} disabled={busy}>
        {busy ? "Redirecting…" : "Sign in with your company account"}
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function DemoSignIn() {
  const [accounts] = useQuery({ query: DemoAccountsQuery });
  const [signIn, signInAs] = useMutation(DemoSignInMutation);
  const choose = async (userId: string) => {
    const result = await signInAs({ userId });
    const session = result.data?.demoSignIn;
    if (session) startSession({ token: session.token, expiresAt: Date.parse(session.expiresAt), via: "demo" });
  };
  return (
    <section className="card" aria-labelledby="demo-heading">
      <h2 id="demo-heading">Demo sign-in</h2>
      <p className="muted">This server runs on demo data: sign in as anyone, no password needed.</p>
      {signIn.fetching && <Loading label="Signing in…" />}
      {signIn.error && <ErrorNotice error={signIn.error} />}
      <QueryState result={accounts} isEmpty={(data) => data.demoAccounts.length === 0} empty="No demo people found.">
        {({ demoAccounts }) => (
          <ul className="account-list">
            {demoAccounts.map((account) => (
              <li key={account.id}>
                <button
                  type="button"
                  className="account"
                  onClick={() => choose(account.id)}
                  aria-label={`Sign in as ${account.name}, ${ROLE_LABEL[account.role]}`}
                >
                  <span className="account-name">{account.name}</span>
                  <span className="account-meta">
                    {ROLE_LABEL[account.role]}
                    {account.teamNames.length > 0 && ` · ${account.teamNames.join(", ")}`}
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </section>
  );
}
