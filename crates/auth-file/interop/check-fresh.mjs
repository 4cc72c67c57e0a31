// Research §10 test 26: a folder the Rust crate created from scratch
// (fresh creds and pre-keys) is loaded by Baileys without re-initialising,
// its signed pre-key signature verifies with Baileys' Curve, its pre-keys
// are key pairs, and a peer can open a session with it that Baileys
// decrypts with the crate-made keys.
// Usage: node check-fresh.mjs <crate-dir>
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BufferJSON, Curve, generateSignalPubKey } from '@whiskeysockets/baileys'
import { bundleOf, canonical, check, listKeys, memoryPeer, openFolder } from './common.mjs'

const [dir] = process.argv.slice(2)
const onDisk = JSON.parse(readFileSync(join(dir, 'creds.json'), 'utf8'), BufferJSON.reviver)
const alice = await openFolder(dir)
const creds = alice.auth.creds
check(canonical(creds) === canonical(onDisk), 'Baileys loaded the crate-made creds (no new identity)')
check(Number.isInteger(creds.registrationId) && creds.registrationId > 0 && creds.registrationId <= 16380, 'registration id')
check(typeof creds.advSecretKey === 'string' && Buffer.from(creds.advSecretKey, 'base64').length === 32, 'adv secret')
check(
	Curve.verify(creds.signedIdentityKey.public, generateSignalPubKey(creds.signedPreKey.keyPair.public), creds.signedPreKey.signature),
	'the signed pre-key signature verifies'
)
const preKeys = listKeys(dir).filter(([type]) => type === 'pre-key').map(([, id]) => id)
check(preKeys.length >= 1, 'pre-keys stored')
const loaded = await alice.raw.get('pre-key', preKeys)
for (const id of preKeys) {
	const pair = loaded[id]
	check(Buffer.isBuffer(pair.private) && pair.private.length === 32 && pair.public.length === 32, `pre-key ${id} is a key pair`)
}

// a peer opens a session with the crate-made bundle; Baileys decrypts it
const peer = memoryPeer()
await peer.injectE2ESession({
	jid: '15550000001@s.whatsapp.net',
	session: bundleOf(creds, Number(preKeys[0]), loaded[preKeys[0]].public)
})
const sent = await peer.encryptMessage({ jid: '15550000001@s.whatsapp.net', data: Buffer.from('welcome') })
const read = await alice.repo.decryptMessage({ jid: '15550000005@s.whatsapp.net', type: sent.type, ciphertext: sent.ciphertext })
check(Buffer.from(read).toString() === 'welcome', 'Baileys decrypts a pkmsg to the crate-made keys')
console.log(`ok: fresh creds verify, ${preKeys.length} pre-keys, a session opens`)
