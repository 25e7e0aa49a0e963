// Local accounts and personal access tokens: shared by the API and the `atelier admin` CLI.
import { hashToken, newSecretToken, type Repositories, type User } from '@atelier/db';
import {
  AppError,
  formatIssues,
  passwordSchema,
  type UserDto,
  type UserId,
  userNameSchema,
} from '@atelier/protocol';
import { hashPassword } from './passwords.js';

export function userDto(user: User): UserDto {
  return { id: user.id, name: user.name, admin: user.admin, createdAt: user.createdAt };
}

/** Creates a local user; the name and password are checked against the API's rules. */
export async function createUser(
  repos: Repositories,
  input: { name: string; password: string; admin: boolean },
): Promise<User> {
  const problems = [
    ...(userNameSchema.safeParse(input.name).error?.issues ?? []).map((i) => ({ ...i, path: ['name'] })),
    ...(passwordSchema.safeParse(input.password).error?.issues ?? []).map((i) => ({
      ...i,
      path: ['password'],
    })),
  ];
  if (problems.length > 0) {
    throw new AppError('invalid_argument', `cannot create user ${input.name}`, formatIssues(problems));
  }
  const passwordHash = await hashPassword(input.password);
  return repos.users.create({ name: input.name, passwordHash, admin: input.admin });
}

/** Creates a personal access token; only its hash is stored, the token is shown once. */
export async function createAccessToken(
  repos: Repositories,
  userId: UserId,
  name: string,
  options: { expiresAt?: Date } = {},
): Promise<{ id: string; token: string }> {
  const token = newSecretToken('atl_');
  const row = await repos.tokens.create({
    userId,
    name,
    tokenHash: hashToken(token),
    ...(options.expiresAt ? { expiresAt: options.expiresAt.toISOString() } : {}),
  });
  return { id: row.id, token };
}
