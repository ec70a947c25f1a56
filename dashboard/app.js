// The dashboard: providers, the jobs and streams of an address with live per-second figures
// computed here by the wasm package, and the contract actions, signed by an AIP-62 wallet
// when one is connected and by the localnet development key otherwise. No build step: plain
// ES modules, served by `computestream localnet` at `/` (this folder under `/ui/`, the wasm
// package under `/pkg/`).
import { Aborted, Chain, DevKeySigner, NodeDown, WalletSigner, discoverWallets } from './chain.js';

const params = new URLSearchParams(location.search);
const NODE = params.get('node') ?? `${location.origin}/v1`;
// Seconds between the checks for new transactions (one ledger-info read each).
const POLL_SECONDS = Number(params.get('poll') ?? 6);
const NATIVE = '0xa';
const NEVER = 18446744073709551615n;
const STATUS = ['pending', 'running', 'completed', 'failed', 'cancelled'];

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const short = (a) => `${a.slice(0, 6)}…${a.slice(-4)}`;

let cs, chain, signer;
const state = { providers: [], jobs: [], watched: null, version: null, pollTimer: null };

function banner(text) {
  $('banner').hidden = !text;
  $('banner').textContent = text ?? '';
}

function message(text, isError = false) {
  $('message').hidden = false;
  $('message').className = isError ? 'error' : '';
  $('message').textContent = text;
}

function errorText(e) {
  if (e instanceof Aborted) {
    return `The transaction aborted: ${e.abortName}${e.meaning ? ` (${e.meaning})` : ''}`;
  }
  return e?.code ? `${e.message} [${e.code}]` : String(e?.message ?? e);
}

/** Base units of `asset` in its decimals, with its symbol. */
const fmt = (units, asset = NATIVE) => {
  const { decimals, symbol } = chain.known(asset);
  return `${cs.formatAmount(BigInt(units), decimals)} ${symbol}`;
};
const perHour = (nanosPerSecond, asset) => fmt((BigInt(nanosPerSecond) * 3600n) / 1_000_000_000n, asset);
/** Text the user typed, in base units of the native coin. */
const nativeUnits = (text) => cs.parseAmount(text.trim(), chain.known(NATIVE).decimals);

function duration(seconds) {
  const s = Number(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(r).padStart(2, '0')}s`;
}

async function main() {
  try {
    cs = await import('../pkg/computestream_wasm.js');
    await cs.default();
  } catch (e) {
    banner('The wasm package is not built (bindings-wasm/pkg): run scripts/build-bindings wasm, then reload this page. '
      + `(${e.message})`);
    $('node-status').textContent = 'no wasm package';
    return;
  }
  chain = new Chain(NODE, cs);
  $('contract').textContent = chain.contract;
  signer = new DevKeySigner(cs);
  state.watched = params.get('address') ?? signer.address;
  $('watch').value = params.get('address') ?? '';
  showSigner();
  const wallets = discoverWallets();
  setTimeout(() => offerWallets(wallets), 300);
  wireForms();
  setInterval(tick, 1000);
  await refresh();
}

function showSigner() {
  $('signer-kind').textContent = signer.kind;
  $('signer-address').textContent = signer.address;
}

function offerWallets(wallets) {
  for (const wallet of wallets) {
    const b = document.createElement('button');
    b.textContent = `Use wallet ${wallet.name}`;
    b.onclick = () => act(`Connecting ${wallet.name}`, async () => {
      const answer = await wallet.features['aptos:connect'].connect();
      if (answer?.status !== 'Approved') throw new Error(`${wallet.name}: connection rejected`);
      signer = new WalletSigner(wallet, answer.args);
      if (!params.get('address')) state.watched = signer.address;
      showSigner();
      return `Signing with ${wallet.name} (${signer.address})`;
    });
    $('account').append(b);
  }
}

/** Reads everything the page shows once; the figures then tick locally. */
async function refresh() {
  try {
    const info = await chain.info();
    state.version = info.ledger_version;
    const native = await chain.asset(NATIVE);
    if (signer instanceof DevKeySigner && chain.chainId === 4 && (await chain.balance(signer.address)) === 0n) {
      // A fresh development key on a localnet: the faucet funds it (1000 coins).
      await chain.mint(signer.address, 1000n * 10n ** BigInt(native.decimals));
      return refresh();
    }
    const [providers, jobs, balance] = await Promise.all([
      chain.providers(), chain.jobs(state.watched), chain.balance(signer.address),
    ]);
    await Promise.all(jobs.filter((j) => j.stream).map((j) => chain.asset(j.stream.asset)));
    Object.assign(state, { providers, jobs });
    $('signer-balance').textContent = fmt(balance);
    $('node-status').innerHTML = `<span class="ok">●</span> ${esc(NODE)} · chain ${info.chain_id} · version ${esc(info.ledger_version)}`;
    banner(null);
    render();
  } catch (e) {
    showFailure(e);
  }
  schedulePoll();
}

function showFailure(e) {
  if (e instanceof NodeDown) {
    banner(`${e.message} The page retries every ${POLL_SECONDS} s.`);
    $('node-status').innerHTML = `<span class="off">●</span> ${esc(NODE)} down`;
  } else {
    message(errorText(e), true);
  }
}

/** One ledger-info read every POLL_SECONDS: a new version means new events, so read again. */
function schedulePoll() {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(async () => {
    try {
      const before = state.version;
      const info = await chain.info();
      if (info.ledger_version !== before || !$('banner').hidden) return refresh();
    } catch (e) {
      showFailure(e);
    }
    schedulePoll();
  }, POLL_SECONDS * 1000);
}

function render() {
  const mine = signer.address;
  $('provider-rows').innerHTML = state.providers.length ? state.providers.map((p) => `
    <tr data-provider="${esc(p.provider)}">
      <td><code title="${esc(p.provider)}">${esc(short(p.provider))}</code>${p.provider === mine ? ' (you)' : ''}</td>
      <td>${esc(p.gpu_type)}</td><td class="num">${esc(p.vram_gb)} GB</td>
      <td class="num">${perHour(p.price_per_second)}</td><td class="num">${fmt(p.stake)}</td>
      <td>${p.is_active ? '<span class="ok">yes</span>' : '<span class="off">no</span>'} · ${esc(p.active_jobs)} active</td>
      <td>${p.provider === mine
        ? `<button data-action="availability" data-active="${!p.is_active}">${p.is_active ? 'Stop taking jobs' : 'Take jobs'}</button>`
        : `<button data-action="rent" ${p.is_active ? '' : 'disabled'}>Rent</button>`}</td>
    </tr>`).join('') : '<tr><td colspan="7" class="muted">No provider is registered yet.</td></tr>';

  $('stream-rows').innerHTML = state.jobs.length ? state.jobs.map(({ job, stream }) => {
    const payer = job.buyer === mine, provider = job.provider === mine;
    const open = stream && !stream.is_closed;
    const actions = [
      provider && job.status === 0 ? '<button data-action="start">Start (provider)</button>' : '',
      payer && open && !stream.is_paused ? '<button data-action="pause">Pause</button>' : '',
      payer && open && stream.is_paused ? '<button data-action="resume">Resume</button>' : '',
      open ? '<input data-field="topup" value="0.1" size="5"><button data-action="topup">Top up</button>' : '',
      (payer || provider) && open ? '<button data-action="close">Close</button>' : '',
    ].join('');
    return `
    <tr data-job="${esc(job.job_id)}">
      <td>#${esc(job.job_id)} <span class="muted">${esc(job.docker_image)}</span></td>
      <td><code title="${esc(job.provider)}">${esc(short(job.provider))}</code></td>
      <td data-field="status">${esc(STATUS[job.status] ?? job.status)}</td>
      <td class="num">${stream ? perHour(stream.rate_per_second, stream.asset) : '—'}</td>
      <td class="num" data-field="owed">—</td><td class="num" data-field="paid">—</td>
      <td class="num" data-field="left">—</td><td class="num" data-field="depletes">—</td>
      <td>${actions}</td>
    </tr>`;
  }).join('') : '<tr><td colspan="9" class="muted">No jobs for this address.</td></tr>';
  tick();
}

/** Every second: the chain clock and each stream's figures, from the record already read. */
function tick() {
  if (!chain?.clock) return;
  const now = chain.now();
  $('chain-time').textContent = new Date(Number(now) * 1000).toISOString().replace('.000Z', 'Z');
  for (const { job, stream } of state.jobs) {
    const row = document.querySelector(`tr[data-job="${CSS.escape(job.job_id)}"]`);
    if (!row || !stream) continue;
    const s = JSON.parse(cs.streamSnapshot(JSON.stringify(stream), now));
    const cell = (f) => row.querySelector(`[data-field="${f}"]`);
    cell('owed').textContent = fmt(s.owed, stream.asset);
    cell('paid').textContent = fmt(stream.paid, stream.asset);
    cell('left').textContent = stream.is_closed
      ? `0 (refunded ${fmt(BigInt(stream.deposited) - BigInt(stream.paid), stream.asset)})`
      : fmt(BigInt(stream.deposited) - BigInt(s.owed), stream.asset);
    const depletion = BigInt(s.depletion_time);
    cell('depletes').textContent = stream.is_closed ? 'closed'
      : !s.accruing ? (stream.is_paused ? 'paused' : 'not accruing')
      : depletion === NEVER ? 'never' : duration(depletion > now ? depletion - now : 0n);
    if (stream.is_closed) cell('status').textContent = `${STATUS[job.status]} · closed`;
    else if (stream.is_paused) cell('status').textContent = `${STATUS[job.status]} · paused`;
    else if (s.accruing) cell('status').textContent = `${STATUS[job.status]} · streaming`;
  }
}

/** Runs an action, says what happened (or why it failed) and reads the chain again. */
async function act(what, f) {
  message(`${what}…`);
  try {
    const done = await f();
    await refresh();
    message(typeof done === 'function' ? done() : done);
  } catch (e) {
    message(`${what} failed. ${errorText(e)}`, true);
    if (e instanceof NodeDown) showFailure(e);
  }
}

const send = (call) => chain.submit(signer, call);

function wireForms() {
  $('watch-form').onsubmit = (e) => {
    e.preventDefault();
    state.watched = $('watch').value.trim() || signer.address;
    refresh();
  };
  $('register-form').onsubmit = (e) => {
    e.preventDefault();
    act('Registering as a provider', async () => {
      await send({
        function: 'register_provider',
        gpu_type: $('reg-gpu').value.trim(),
        vram_gb: $('reg-vram').value.trim(),
        price_per_second: cs.rate(nativeUnits($('reg-price').value), 'hour').toString(),
        stake_amount: nativeUnits($('reg-stake').value).toString(),
      });
      return `Registered ${signer.address} as a provider.`;
    });
  };
  document.body.addEventListener('click', (e) => {
    const button = e.target.closest('button[data-action]');
    if (!button) return;
    const providerRow = button.closest('tr[data-provider]');
    const jobRow = button.closest('tr[data-job]');
    const entry = jobRow && state.jobs.find(({ job }) => job.job_id === jobRow.dataset.job);
    const job = entry?.job;
    const key = job && { payer: job.buyer, job_id: job.job_id };
    switch (button.dataset.action) {
      case 'rent': {
        const p = state.providers.find((x) => x.provider === providerRow.dataset.provider);
        return act(`Renting ${p.gpu_type}`, async () => {
          const deposit = nativeUnits($('rent-deposit').value);
          await send({
            function: 'rent', provider: p.provider, docker_image: $('rent-image').value.trim(),
            asset: '0xa', deposit: deposit.toString(), max_duration: $('rent-duration').value.trim(),
            max_rate_per_second: p.price_per_second,
          });
          return `Rented ${p.gpu_type} from ${short(p.provider)}: ${fmt(deposit)} in escrow, streaming once the provider starts the job.`;
        });
      }
      case 'availability':
        return act('Updating availability', async () => {
          await send({ function: 'update_availability', is_active: button.dataset.active === 'true' });
          return 'Availability updated.';
        });
      case 'start':
        return act(`Starting job #${job.job_id}`, async () => {
          await send({ function: 'start_job', buyer: job.buyer, job_id: job.job_id });
          return `Job #${job.job_id} started: the stream accrues.`;
        });
      case 'pause':
        return act(`Pausing job #${job.job_id}`, async () => {
          await send({ function: 'pause_stream', job_id: job.job_id });
          return `Paused the stream of job #${job.job_id}.`;
        });
      case 'resume':
        return act(`Resuming job #${job.job_id}`, async () => {
          await send({ function: 'resume_stream', job_id: job.job_id });
          return `Resumed the stream of job #${job.job_id}.`;
        });
      case 'topup': {
        const input = jobRow.querySelector('[data-field="topup"]');
        return act(`Topping up job #${job.job_id}`, async () => {
          const { decimals } = chain.known(entry.stream.asset);
          const amount = cs.parseAmount(input.value.trim(), decimals);
          await send({ function: 'top_up', ...key, amount: amount.toString() });
          return `Added ${fmt(amount, entry.stream.asset)} to the escrow of job #${job.job_id}.`;
        });
      }
      case 'close':
        return act(`Closing job #${job.job_id}`, async () => {
          await send({ function: 'close_stream', ...key });
          // Reported once the page has read the closed record.
          return () => {
            const closed = state.jobs.find(({ job: j }) => j.job_id === job.job_id)?.stream;
            const refund = BigInt(closed.deposited) - BigInt(closed.paid);
            return `Closed job #${job.job_id}: paid ${fmt(closed.paid, closed.asset)} to the provider, refunded ${fmt(refund, closed.asset)} to ${short(job.buyer)}.`;
          };
        });
      default:
        return undefined;
    }
  });
}

main();
