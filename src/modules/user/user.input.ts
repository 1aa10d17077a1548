import { IsBoolean, IsEmail, IsOptional, Length } from "class-validator";
import { Field, InputType } from "type-graphql";
import { Role } from "./user.type.js";

@InputType()
export class CreateUserInput {
  @Field(() => String)
  @Length(1, 200)
  name!: string;

  @Field(() => String)
  @IsEmail({}, { message: "must be an e-mail address" })
  @Length(3, 320)
  email!: string;

  @Field(() => Role)
  role!: Role;
}

@InputType()
export class UpdateUserInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;

  @Field(() => Role, { nullable: true })
  @IsOptional()
  role?: Role;

  @Field(() => Boolean, { nullable: true, description: "Deactivated users cannot sign in; their history stays." })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}

@InputType()
export class UserFilter {
  @Field(() => Role, { nullable: true })
  role?: Role;

  @Field(() => Boolean, { nullable: true })
  isActive?: boolean;

  @Field(() => String, { nullable: true, description: "Part of the name or e-mail, case-insensitive." })
  @IsOptional()
  @Length(1, 200)
  search?: string;
}
