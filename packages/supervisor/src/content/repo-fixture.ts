// Test fixture: a real bare git repository built with git in a temporary folder.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** A bare repository with two commits on main, a branch `feature` and a tag `v1` (on the first commit). */
export function makeRepo(dir: string): { url: string; first: string; second: string } {
  const work = join(dir, 'work');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: work, encoding: 'utf8' }).trim();
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', work]);
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'Test');
  execFileSync('sh', ['-c', 'echo one > README.md'], { cwd: work });
  git('add', '.');
  git('commit', '--quiet', '-m', 'one');
  const first = git('rev-parse', 'HEAD');
  git('tag', 'v1');
  git('checkout', '--quiet', '-b', 'feature');
  execFileSync('sh', ['-c', 'echo feature > FEATURE.md'], { cwd: work });
  git('add', '.');
  git('commit', '--quiet', '-m', 'feature');
  git('checkout', '--quiet', 'main');
  execFileSync('sh', ['-c', 'echo two > README.md'], { cwd: work });
  git('commit', '--quiet', '-am', 'two');
  const second = git('rev-parse', 'HEAD');
  execFileSync('git', ['clone', '--quiet', '--bare', work, join(dir, 'repo.git')]);
  return { url: `file://${join(dir, 'repo.git')}`, first, second };
}
