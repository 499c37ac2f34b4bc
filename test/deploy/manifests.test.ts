/**
 * The deployment kit as shipped: every Kubernetes manifest passes the Kubernetes API's JSON schema
 * (kubernetes-models' validators, generated from the OpenAPI spec), and agrees with how voicesocket
 * drains; the Dockerfile builds in stages, runs unprivileged and probes /healthz. What no tool here
 * can run (a cluster, a Docker daemon) is said in docs/deploy.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Service } from 'kubernetes-models/v1/Service';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { ROOT } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';

const DIR = join(ROOT, 'deploy', 'kubernetes');

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(DIR)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((document) => {
        assert.deepEqual(document.errors, [], `${file} is valid YAML`);
        return { file, doc: document.toJS() as Manifest };
      }),
    );
}

function find(kind: string): Manifest {
  const found = manifests().find(({ doc }) => doc.kind === kind);
  assert.ok(found, `a ${kind} is shipped`);
  return found.doc;
}

test('every Kubernetes manifest passes the API schema of its kind', () => {
  const all = manifests();
  assert.ok(all.length >= 6);
  for (const { file, doc } of all) {
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `${file}: ${doc.apiVersion} ${doc.kind} has a schema here`);
    assert.doesNotThrow(() => new Model(doc as never).validate(), `${file} (${doc.kind})`);
  }
  // The check itself refuses a wrong manifest: a port given as text.
  const broken = structuredClone(find('Deployment')) as unknown as {
    spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
  };
  broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = '3000';
  assert.throws(() => new Deployment(broken as never).validate(), /containerPort must be integer/);
});

test('the Deployment matches the drain: grace covers preStop + delay + timeout, readiness is /readyz, liveness /healthz', () => {
  const deployment = find('Deployment') as unknown as {
    metadata: { name: string };
    spec: {
      strategy: { rollingUpdate: { maxUnavailable: number } };
      template: {
        metadata: { labels: Record<string, string> };
        spec: {
          terminationGracePeriodSeconds: number;
          containers: Array<{
            env: Array<{ name: string; value?: string }>;
            ports: Array<{ name: string; containerPort: number }>;
            readinessProbe: { httpGet: { path: string; port: string } };
            livenessProbe: { httpGet: { path: string; port: string } };
            lifecycle: { preStop: { exec: { command: string[] } } };
            resources: { limits: { cpu: string } };
          }>;
        };
      };
    };
  };
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0]!;
  const env = (name: string) => Number(container.env.find((item) => item.name === name)?.value);
  const preStop = container.lifecycle.preStop.exec.command;
  assert.equal(preStop[0], 'sleep');
  const needed = Number(preStop[1]) + env('DRAIN_DELAY') + env('DRAIN_TIMEOUT') + 5;
  assert.ok(pod.terminationGracePeriodSeconds >= needed, `grace ${pod.terminationGracePeriodSeconds} s ≥ ${needed} s`);
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.equal(container.ports.find((port) => port.name === container.readinessProbe.httpGet.port)?.containerPort, env('PORT'));
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  assert.ok(env('WORKERS') <= Number(container.resources.limits.cpu), 'no more workers than CPUs');

  const service = find('Service') as unknown as { spec: { selector: Record<string, string> } };
  for (const [key, value] of Object.entries(service.spec.selector))
    assert.equal(deployment.spec.template.metadata.labels[key], value, 'the Service selects the pods');
  const ingress = find('Ingress') as unknown as { metadata: { annotations: Record<string, string> } };
  assert.match(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-next-upstream']!, /http_503/);
});

test('the HPA scales on a metric /metrics really serves', async (t) => {
  const hpa = find('HorizontalPodAutoscaler') as unknown as { spec: { metrics: Array<{ pods: { metric: { name: string } } }> } };
  const name = hpa.spec.metrics[0]!.pods.metric.name;
  const server = await startTestServer();
  t.after(() => server.close());
  assert.match(await (await fetch(`${server.baseUrl}/metrics`)).text(), new RegExp(`^${name} \\d+$`, 'm'));
});

test('the Dockerfile builds in stages, runs as an unprivileged user, probes /healthz; .dockerignore lets in what it copies', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  assert.ok(stages.length >= 2, 'multi-stage');
  const final = stages.at(-1)!;
  const user = /^USER (\S+)$/m.exec(final)?.[1];
  assert.ok(user && user !== 'root' && user !== '0', 'the final stage runs as a user other than root');
  assert.match(final, /^HEALTHCHECK .*\/healthz/ms);
  assert.doesNotMatch(final, /^COPY (?!--from)/m, 'the final stage takes only built files from the build stage');
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
  const copies = [...stages[0]!.matchAll(/^COPY (.+) \S+$/gm)];
  assert.ok(copies.length >= 4, 'the build stage copies the sources');
  for (const [, sources] of copies) {
    for (const source of sources!.split(' ')) assert.match(ignore, new RegExp(`^!${source.replace('.', '\\.')}/?$`, 'm'), `${source} is sent to the build`);
  }
});
