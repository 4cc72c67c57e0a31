// Research §10 test 25, step 3: Baileys reads the original folder and the
// one the Rust crate re-saved, finds equal creds and keys, and can still
// encrypt over every re-saved session and its own sender key (Bob, whose
// folder was written with the original, decrypts).
// Usage: node check-resaved.mjs <original-dir> <resaved-dir> <bob-dir>
import { canonical, check, listKeys, openFolder } from './common.mjs'

const [originalDir, resavedDir, bobDir] = process.argv.slice(2)
const ALICE = '15550000001@s.whatsapp.net'
const GROUP = '120363000000000001@g.us'

const original = await openFolder(originalDir)
const resaved = await openFolder(resavedDir)
const keys = listKeys(originalDir)
check(canonical(listKeys(resavedDir)) === canonical(keys), 'both folders hold the same (type, id) set')
check(canonical(original.auth.creds) === canonical(resaved.auth.creds), 'equal creds')
for (const [type, id] of keys) {
	const a = (await original.raw.get(type, [id]))[id]
	const b = (await resaved.raw.get(type, [id]))[id]
	check(a !== undefined && a !== null, `${type} ${id} loads from the original`)
	check(canonical(a) === canonical(b), `${type} ${id} is equal in both folders`)
}

/** The jid of a signal address `<user>[_<domain>].<device>`. */
function jidOf(address) {
	const [user, device] = address.split('.')
	const [name, domain] = user.split('_')
	const server = domain === '1' ? 'lid' : 's.whatsapp.net'
	return device === '0' ? `${name}@${server}` : `${name}:${device}@${server}`
}

const bob = await openFolder(bobDir)
let sessions = 0
for (const [type, id] of keys.filter(([type]) => type === 'session')) {
	const jid = jidOf(id)
	const sent = await resaved.repo.encryptMessage({ jid, data: Buffer.from(`to ${id}`) })
	check(sent.type === 'msg', `an established session with ${jid} (got ${sent.type})`)
	if (jid.startsWith('15550000002')) {
		const read = await bob.repo.decryptMessage({ jid: ALICE, type: sent.type, ciphertext: sent.ciphertext })
		check(Buffer.from(read).toString() === `to ${id}`, 'bob decrypts what the re-saved session encrypted')
	}
	sessions++
}
check(sessions >= 2, `sessions were checked (${sessions})`)
const group = await resaved.repo.encryptGroupMessage({ group: GROUP, meId: ALICE, data: Buffer.from('again') })
const read = await bob.repo.decryptGroupMessage({ group: GROUP, authorJid: ALICE, msg: group.ciphertext })
check(Buffer.from(read).toString() === 'again', 'bob decrypts a group message sent with the re-saved sender key')
console.log(`ok: ${keys.length} keys equal, ${sessions} sessions and the own sender key still encrypt`)
