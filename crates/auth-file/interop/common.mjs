// Shared helpers of the interop scripts: Baileys' own multi-file store,
// its transaction wrapper and its libsignal repository, nothing else.
import { readdirSync } from 'node:fs'
import {
	addTransactionCapability,
	BufferJSON,
	generateSignalPubKey,
	initAuthCreds,
	useMultiFileAuthState
} from '@whiskeysockets/baileys'
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js'
import P from 'pino'

export const logger = P({ level: 'silent' })

/** Opens a folder with Baileys' useMultiFileAuthState, keys wrapped for transactions as the socket does. */
export async function openFolder(dir) {
	const { state, saveCreds } = await useMultiFileAuthState(dir)
	const keys = addTransactionCapability(state.keys, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
	const auth = { creds: state.creds, keys }
	return { auth, saveCreds, raw: state.keys, repo: makeLibSignalRepository(auth, logger) }
}

/** A peer with fresh creds and an in-memory key store, as a libsignal repository. */
export function memoryPeer() {
	const data = {}
	const raw = {
		get: async (type, ids) =>
			Object.fromEntries(ids.filter(id => data[`${type}/${id}`]).map(id => [id, data[`${type}/${id}`]])),
		set: async set => {
			for (const type in set) {
				for (const id in set[type]) {
					if (set[type][id]) data[`${type}/${id}`] = set[type][id]
					else delete data[`${type}/${id}`]
				}
			}
		}
	}
	const keys = addTransactionCapability(raw, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
	return makeLibSignalRepository({ creds: initAuthCreds(), keys }, logger)
}

/** The pre-key bundle of `creds` with pre-key `id` (public key `preKeyPublic`). */
export function bundleOf(creds, id, preKeyPublic) {
	return {
		registrationId: creds.registrationId,
		identityKey: generateSignalPubKey(creds.signedIdentityKey.public),
		signedPreKey: {
			keyId: creds.signedPreKey.keyId,
			publicKey: generateSignalPubKey(creds.signedPreKey.keyPair.public),
			signature: creds.signedPreKey.signature
		},
		preKey: { keyId: id, publicKey: generateSignalPubKey(preKeyPublic) }
	}
}

const FAMILIES = [
	'pre-key',
	'session',
	'sender-key',
	'sender-key-memory',
	'app-state-sync-key',
	'app-state-sync-version',
	'lid-mapping',
	'device-list',
	'tctoken',
	'identity-key'
]

/** Every (type, id) stored in a folder, recovered from file names as Baileys develop does (longest type first). */
export function listKeys(dir) {
	const out = []
	for (const name of readdirSync(dir)) {
		if (!name.endsWith('.json') || name === 'creds.json' || name.startsWith('.')) continue
		const type = FAMILIES.filter(f => name.startsWith(f + '-')).sort((a, b) => b.length - a.length)[0]
		if (!type) throw new Error(`unknown file ${name}`)
		let id = name.slice(type.length + 1, -'.json'.length)
		if (type === 'sender-key') id = id.replaceAll('--', '::')
		if (type === 'app-state-sync-key') id = id.replaceAll('__', '/')
		out.push([type, id])
	}
	return out.sort()
}

export const canonical = value => JSON.stringify(value, BufferJSON.replacer)

export function check(condition, message) {
	if (!condition) {
		console.error(`FAIL: ${message}`)
		process.exit(1)
	}
}
