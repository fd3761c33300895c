import { jobHandlerProblems } from './job-registry';
import { JobDefinition } from './queues';

const a: JobDefinition = { queue: 'evaluation', name: 'a' };
const b: JobDefinition = { queue: 'maintenance', name: 'b' };

describe('jobHandlerProblems (the boot check)', () => {
  it('accepts exactly one processor per catalogued job', () => {
    expect(
      jobHandlerProblems(
        [a, b],
        [
          { job: a, owner: 'A#run', events: ['session.recorded'] },
          { job: b, owner: 'B#run' },
        ],
      ),
    ).toEqual([]);
  });

  it('names a job without a processor', () => {
    expect(jobHandlerProblems([a, b], [{ job: a, owner: 'A#run' }])).toEqual([
      'no processor for job maintenance/b',
    ]);
  });

  it('names every processor of a job that has two', () => {
    expect(
      jobHandlerProblems(
        [a],
        [
          { job: a, owner: 'A#run' },
          { job: a, owner: 'Other#run' },
        ],
      ),
    ).toEqual(['2 processors for job evaluation/a: A#run, Other#run']);
  });

  it('refuses a processor for a job missing from the catalogue, and malformed event names', () => {
    expect(
      jobHandlerProblems(
        [a],
        [
          { job: a, owner: 'A#run', events: ['SessionRecorded'] },
          { job: { queue: 'training', name: 'x' }, owner: 'X#run' },
        ],
      ),
    ).toEqual([
      'A#run subscribes to a malformed event type "SessionRecorded"',
      'X#run processes training/x, which is not in JOBS (src/workers/queues.ts)',
    ]);
  });
});
