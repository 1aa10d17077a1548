import { Field, ID, ObjectType } from "type-graphql";
import { Role } from "../user/user.type.js";
import { DateTimeScalar } from "../../graphql/scalars.js";

@ObjectType({ description: "An OpenID Connect provider the dashboard signs people in with (authorization code and PKCE)." })
export class OidcSettings {
  @Field(() => String, { description: "The issuer URL; its discovery document is at /.well-known/openid-configuration." })
  issuer!: string;

  @Field(() => String, { description: "The dashboard's public client id at the provider." })
  clientId!: string;

  @Field(() => String)
  scope!: string;
}

@ObjectType({ description: "How people sign in to this server: public, so a sign-in page can ask before anyone has a token." })
export class SignInOptions {
  @Field(() => Boolean, {
    description: "One-click sign-in as any user (demoAccounts, demoSignIn): only on demo data, or when DEMO_SIGN_IN is set.",
  })
  demo!: boolean;

  @Field(() => OidcSettings, { nullable: true })
  oidc!: OidcSettings | null;
}

@ObjectType({ description: "A person one can sign in as while demo sign-in is on." })
export class DemoAccount {
  @Field(() => ID)
  id!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  email!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => [String], { description: "Teams the person manages or belongs to, by name." })
  teamNames!: string[];
}

@ObjectType()
export class DemoSession {
  @Field(() => String, { description: "A bearer token for the user, as `npm run cli -- token` would print." })
  token!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;
}
