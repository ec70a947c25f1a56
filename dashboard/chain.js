// The node API, as the page uses it: reads (ledger info, views, accounts), and contract calls
// signed by an AIP-62 wallet or by the localnet development key, then awaited. Every figure
// the page shows comes from these reads; nothing here polls.

/** A node that does not answer, or answers with an error page. */
export class NodeDown extends Error {}

/** A transaction that aborted, with the abort's name and meaning from the wasm package. */
export class Aborted extends Error {
  constructor(vmStatus, name, meaning) {
    super(name ? `${name}: ${meaning ?? vmStatus}` : vmStatus);
    this.vmStatus = vmStatus;
    this.abortName = name;
    this.meaning = meaning;
  }
}

const ABORT = /Move abort in (0x[0-9a-fA-F]+)::(\w+): (\w+)\((0x[0-9a-fA-F]+)\)/;

export class Chain {
  /** `nodeUrl`: the node API (`…/v1`); `cs`: the initialised wasm package. */
  constructor(nodeUrl, cs) {
    this.node = nodeUrl.replace(/\/$/, '');
    this.faucet = this.node.replace(/\/v1$/, '');
    this.cs = cs;
    // The contracts' address: the wasm package's default deployment (the localnet's) unless
    // the page is given another.
    this.contract = cs.entryFunctionPayload('{"function":"deregister"}').function.split('::')[0];
    this.chainId = null;
    this.clock = null;
  }

  async request(path, init = {}, base = this.node) {
    let response;
    try {
      response = await fetch(base + path, init);
    } catch (e) {
      throw new NodeDown(`the node at ${this.node} does not answer (${e.message}): is \`computestream localnet\` running?`);
    }
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch {
      throw new NodeDown(`the node at ${this.node} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const message = body?.message ?? `HTTP ${response.status}`;
      const aborted = this.abort(message);
      if (aborted) throw aborted;
      if (response.status >= 500) throw new NodeDown(`the node at ${this.node} failed: ${message}`);
      throw new Error(message);
    }
    return body;
  }

  /** Ledger info; keeps the chain clock (chain seconds now = read + elapsed). */
  async info() {
    const info = await this.request('');
    this.chainId = info.chain_id;
    this.clock = { at: BigInt(info.ledger_timestamp) / 1_000_000n, read: performance.now() };
    return info;
  }

  /** Chain time in whole seconds, from the last ledger read and the page's own clock. */
  now() {
    if (!this.clock) return 0n;
    return this.clock.at + BigInt(Math.floor((performance.now() - this.clock.read) / 1000));
  }

  async view(module, name, args, typeArguments = []) {
    const fn = module.startsWith('0x') ? `${module}::${name}` : `${this.contract}::${module}::${name}`;
    return this.request('/view', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ function: fn, type_arguments: typeArguments, arguments: args }),
    });
  }

  /** An asset's decimals and symbol (read once), or base units if the node cannot say. */
  async asset(address) {
    this.assets ??= new Map();
    const key = address.toLowerCase().replace(/^0x0*/, '0x');
    if (!this.assets.has(key)) {
      const metadata = ['0x1::fungible_asset::Metadata'];
      try {
        const [[decimals], [symbol]] = await Promise.all([
          this.view('0x1::fungible_asset', 'decimals', [address], metadata),
          this.view('0x1::fungible_asset', 'symbol', [address], metadata),
        ]);
        this.assets.set(key, { decimals: Number(decimals), symbol });
      } catch (e) {
        if (e instanceof NodeDown) throw e;
        this.assets.set(key, { decimals: 0, symbol: 'base units' });
      }
    }
    return this.assets.get(key);
  }

  /** The cached metadata of an asset `asset()` has read. */
  known(address) {
    return this.assets?.get(address.toLowerCase().replace(/^0x0*/, '0x')) ?? { decimals: 0, symbol: 'base units' };
  }

  async balance(address) {
    const [units] = await this.view('0x1::primary_fungible_store', 'balance', [address, '0xa']);
    return BigInt(units);
  }

  async providers() {
    const [addresses] = await this.view('provider_registry', 'list_providers', ['0', '100']);
    return Promise.all(addresses.map(async (a) => (await this.view('provider_registry', 'get_provider', [a]))[0]));
  }

  /** The jobs of `buyer`, newest first, each with its stream record (or null). */
  async jobs(buyer) {
    const [count] = await this.view('job_registry', 'get_job_counter', [buyer]);
    const ids = [];
    for (let id = BigInt(count); id >= 1n && ids.length < 20; id--) ids.push(id.toString());
    return Promise.all(ids.map(async (id) => {
      const [job] = await this.view('job_registry', 'get_job', [buyer, id]);
      let stream = null;
      try { [stream] = await this.view('payment_stream', 'get_stream', [buyer, id]); } catch (e) {
        if (!(e instanceof Aborted)) throw e;
      }
      return { job, stream };
    }));
  }

  /** The abort a node message describes, named and explained by the wasm package. */
  abort(message) {
    const m = ABORT.exec(message);
    if (!m) return null;
    const code = BigInt(m[4]);
    return new Aborted(message, this.cs.abortName(m[2], code) ?? m[3], this.cs.abortDescription(m[2], code));
  }

  /** Waits for a transaction and throws `Aborted` if it did not succeed. */
  async wait(hash) {
    const txn = await this.request(`/transactions/wait_by_hash/${hash}`);
    if (!txn.success) throw this.abort(txn.vm_status) ?? new Error(txn.vm_status);
    return txn;
  }

  /** Submits `call` (the JSON the wasm package encodes) with `signer` and waits for it. */
  async submit(signer, call) {
    const hash = await signer.signAndSubmit(this, call);
    return this.wait(hash);
  }

  async mint(address, amount) {
    return this.request(`/mint?address=${address}&amount=${amount}`, { method: 'POST' }, this.faucet);
  }
}

/** The localnet development key: an Ed25519 key kept in this browser, funded by the faucet. */
export class DevKeySigner {
  constructor(cs) {
    this.kind = 'localnet development key';
    let key = localStorage.getItem('computestream.devKey');
    if (!key) {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      key = '0x' + [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
      localStorage.setItem('computestream.devKey', key);
    }
    this.key = key;
    this.address = cs.addressOf(key);
  }

  async signAndSubmit(chain, call) {
    const account = await chain.request(`/accounts/${this.address}`).catch(() => ({ sequence_number: '0' }));
    if (!chain.clock) await chain.info();
    const signed = chain.cs.signCall(this.key, JSON.stringify(call), BigInt(account.sequence_number),
      chain.chainId, chain.now() + 60n, chain.contract);
    const pending = await chain.request('/transactions', {
      method: 'POST',
      headers: { 'content-type': 'application/x.aptos.signed_transaction+bcs' },
      body: signed,
    });
    return pending.hash;
  }
}

/** A wallet of the Aptos wallet standard (AIP-62): the payload it signs is the wasm package's. */
export class WalletSigner {
  constructor(wallet, account) {
    this.wallet = wallet;
    this.kind = `wallet ${wallet.name}`;
    this.address = account.address.toString();
  }

  async signAndSubmit(chain, call) {
    const feature = this.wallet.features['aptos:signAndSubmitTransaction'];
    const payload = chain.cs.entryFunctionPayload(JSON.stringify(call), chain.contract);
    const answer = await feature.signAndSubmitTransaction({ payload });
    if (answer?.status !== 'Approved') throw new Error(`${this.wallet.name}: the transaction was rejected in the wallet`);
    return answer.args.hash;
  }
}

/** Wallets that announce themselves through the wallet standard and can sign Aptos calls. */
export function discoverWallets() {
  const wallets = [];
  const api = {
    register(...found) {
      for (const w of found) {
        if (w.features?.['aptos:signAndSubmitTransaction'] && w.features?.['aptos:connect']) wallets.push(w);
      }
      return () => {};
    },
  };
  window.addEventListener('wallet-standard:register-wallet', (e) => e.detail(api));
  window.dispatchEvent(new CustomEvent('wallet-standard:app-ready', { detail: api }));
  return wallets;
}
