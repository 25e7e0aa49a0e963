// The image build log of a start, live while the image builds (Server-Sent Events), and kept on
// the page when the build failed: what the builder printed is what the user needs to fix it.
import { type InstanceDto, plainTerminalText } from '@atelier/protocol';
import { useEffect, useState } from 'react';
import { buildLogUrl } from '../api';
import { useFollowScroll } from './follow-scroll';

const MAX_CHARS = 512 * 1024;

export function BuildLog({ workspaceId, instance }: { workspaceId: string; instance: InstanceDto }) {
  const [text, setText] = useState('');
  const [ended, setEnded] = useState(false);
  const built = 'building' in instance.phaseTimes;
  const scroll = useFollowScroll<HTMLPreElement>(text);

  // one stream per instance: it replays the log so far, then follows it until the build is over
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new start (instance) has a new log
  useEffect(() => {
    setText('');
    setEnded(false);
    const source = new EventSource(buildLogUrl(workspaceId));
    source.addEventListener('log', (e) => {
      const { text: more } = JSON.parse((e as MessageEvent<string>).data) as { text: string };
      setText((t) => (t + more).slice(-MAX_CHARS));
    });
    source.addEventListener('end', () => {
      setEnded(true);
      source.close();
    });
    return () => source.close();
  }, [workspaceId, instance.id]);

  if (!built && !text) return null;
  const building = instance.phase === 'building' && !ended;
  return (
    <section className="build-log" aria-labelledby="build-log-title" data-testid="build-log">
      <h2 id="build-log-title">Image build{building ? ' (running)' : ''}</h2>
      <pre ref={scroll.ref} className="task-output" onScroll={scroll.onScroll} data-testid="build-log-output">
        {plainTerminalText(text) || 'Waiting for the builder…'}
      </pre>
    </section>
  );
}
