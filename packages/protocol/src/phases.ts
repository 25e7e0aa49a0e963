// Workspace instance phases, as in Gitpod.
import { z } from 'zod';

export const PHASES = [
  'preparing',
  'building',
  'pending',
  'creating',
  'initializing',
  'running',
  'interrupted',
  'stopping',
  'stopped',
  'unknown',
] as const;
export type Phase = (typeof PHASES)[number];
export const phaseSchema = z.enum(PHASES);

/** Phases in which an instance holds (or is about to hold) a container. */
export function isActive(phase: Phase): boolean {
  switch (phase) {
    case 'preparing':
    case 'building':
    case 'pending':
    case 'creating':
    case 'initializing':
    case 'running':
    case 'interrupted':
    case 'stopping':
    case 'unknown':
      return true;
    case 'stopped':
      return false;
  }
}

/** The forward order used to reject stale or backward phase updates. */
export function phaseRank(phase: Phase): number {
  switch (phase) {
    case 'preparing':
      return 0;
    case 'building':
      return 1;
    case 'pending':
      return 2;
    case 'creating':
      return 3;
    case 'initializing':
      return 4;
    case 'running':
    case 'interrupted':
    case 'unknown':
      return 5;
    case 'stopping':
      return 6;
    case 'stopped':
      return 7;
  }
}
