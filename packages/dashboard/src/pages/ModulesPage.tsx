/**
 * `/modules` and `/modules/:id`: every module of the network, each with its
 * own view (`modules/<id>/dashboard/index.tsx`, loaded on demand) or the
 * generic one.
 */
import { type ReactNode, useState } from 'react';
import { useApi, useApiClient, useStatus } from '../hooks.ts';
import { GenericModuleView } from '../modules/GenericModuleView.tsx';
import { moduleViews } from '../moduleViews.ts';
import { Link } from '../router.tsx';
import { Async, Badge, ErrorMessage, moduleColor, Section } from '../ui/primitives.tsx';

export function ModulesIndex() {
  const status = useStatus();
  return (
    <>
      <h1>Modules</h1>
      <Async state={status} what="modules">
        {(s) => (
          <ul className="module-cards">
            {s.modules.map((m) => (
              <li key={m.id} className="card" style={{ borderTopColor: moduleColor(m.id) }}>
                <h2>
                  <Link to={`/modules/${m.id}`}>{m.id}</Link>
                </h2>
                <p>{m.description}</p>
                <p className="small">
                  Messages:{' '}
                  {m.kinds.map((k) => (
                    <code key={k}>{`${m.id}.${k}`} </code>
                  ))}
                </p>
                <p className="small">
                  {moduleViews.has(m.id) ? <Badge tone="info">own view</Badge> : <Badge>generic view</Badge>}
                </p>
              </li>
            ))}
          </ul>
        )}
      </Async>
    </>
  );
}

export function ModulePage({ id }: { id: string }) {
  const api = useApiClient();
  const status = useStatus();
  const load = moduleViews.get(id);
  const view = useApi(async () => (load ? await load() : null), [id]);
  const info = status.data?.modules.find((m) => m.id === id);
  return (
    <>
      <p className="crumbs">
        <Link to="/modules">Modules</Link> ›
      </p>
      <h1>{view.data?.title ?? `Module ${id}`}</h1>
      {info ? (
        <p>{info.description}</p>
      ) : status.data ? (
        <p className="muted">This network does not run module {id}.</p>
      ) : null}
      {view.error ? <ErrorMessage error={view.error} /> : null}
      {view.data ? <view.data.View api={api} /> : null}
      {view.data === null || view.error ? <GenericModuleView api={api} moduleId={id} /> : null}
      {view.data ? (
        <Section title="Generic data">
          <LazyDetails summary={`Devices, verdict reasons and reward lines of ${id}`}>
            {() => <GenericModuleView api={api} moduleId={id} />}
          </LazyDetails>
        </Section>
      ) : null}
    </>
  );
}

/** A disclosure whose content is only mounted (and its data only fetched) once opened. */
function LazyDetails({ summary, children }: { summary: string; children: () => ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>{summary}</summary>
      {open ? children() : null}
    </details>
  );
}
