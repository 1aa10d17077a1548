import { useEffect, useState } from "react";
import { Link, useNavigate } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { Loading } from "../ui/QueryState";
import { oidcClient } from "./oidc";
import { startSession } from "./session";

const OidcSettingsQuery = graphql(`
  query OidcSettings {
    signInOptions {
      oidc {
        issuer
        clientId
        scope
      }
    }
  }
`);

// The code can be exchanged once: a second effect run (remount) must share the first exchange.
let exchange: Promise<{ access_token: string; expires_at?: number }> | null = null;

/** Where the identity provider sends the browser back: the code is exchanged (PKCE) for tokens. */
export function AuthCallback() {
  const navigate = useNavigate();
  const [options] = useQuery({ query: OidcSettingsQuery });
  const [error, setError] = useState<string | null>(null);
  const settings = options.data?.signInOptions.oidc;

  useEffect(() => {
    if (!settings) return;
    let cancelled = false;
    void (async () => {
      try {
        exchange ??= oidcClient(settings).then((client) => client.signinRedirectCallback());
        const user = await exchange;
        if (cancelled) return;
        const expiresAt = user.expires_at ? user.expires_at * 1000 : Date.now() + 3600_000;
        startSession({ token: user.access_token, expiresAt, via: "oidc" });
        void navigate("/", { replace: true });
      } catch (reason) {
        if (!cancelled) setError(reason instanceof Error ? reason.message : "The sign-in could not be completed.");
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [settings, navigate]);

  if (error || (options.data && !settings)) {
    return (
      <main id="main" className="signin">
        <div className="notice notice-error" role="alert">
          <strong>Sign-in failed</strong>
          <p>{error ?? "This server does not sign in with an identity provider."}</p>
        </div>
        <Link to="/signin">Back to sign-in</Link>
      </main>
    );
  }
  return (
    <main id="main" className="signin">
      <Loading label="Completing sign-in…" />
    </main>
  );
}
