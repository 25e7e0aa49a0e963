// A scrolled log that follows new output like a terminal does, unless the reader scrolled up to read.
import { type RefObject, useLayoutEffect, useRef } from 'react';

export function useFollowScroll<T extends HTMLElement>(
  content: unknown,
): { ref: RefObject<T | null>; onScroll: (e: { currentTarget: T }) => void } {
  const ref = useRef<T>(null);
  const atEnd = useRef(true);
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the content changes
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [content]);
  return {
    ref,
    onScroll: (e) => {
      const el = e.currentTarget;
      atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 8;
    },
  };
}
