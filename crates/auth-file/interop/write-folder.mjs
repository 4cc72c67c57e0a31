// Research §10 test 25, step 1: Baileys writes a folder through its real
// code paths: creds (paired-like fields), pre-keys from getNextPreKeys, a
// 1:1 session we initiated and one a peer initiated (consuming our pre-key),
// our own group sender key and a received one, app-state keys and
// versions, LID mappings, device lists, tctokens, and deletions.
// Usage: node write-folder.mjs <alice-dir> <bob-dir>
import { getNextPreKeys, proto } from '@whiskeysockets/baileys'
import { bundleOf, check, memoryPeer, openFolder } from './common.mjs'

const [aliceDir, bobDir] = process.argv.slice(2)
const ALICE = '15550000001@s.whatsapp.net'
const BOB = '15550000002@s.whatsapp.net'
const CAROL = '15550000004@s.whatsapp.net'
const GROUP = '120363000000000001@g.us'

const alice = await openFolder(aliceDir)
const bob = await openFolder(bobDir)

/** A pre-key bundle of `party`, with its pre-key `id`. */
async function bundle(party, id) {
	const pre = (await party.keys.get('pre-key', [String(id)]))[String(id)]
	return bundleOf(party.auth.creds, id, pre.public)
}
alice.keys = alice.auth.keys
bob.keys = bob.auth.keys

for (const party of [alice, bob]) {
	const { update, preKeys } = await getNextPreKeys(party.auth, 6)
	Object.assign(party.auth.creds, update)
	check(Object.keys(preKeys).length === 6, 'six pre-keys generated')
}

// Alice starts a session with Bob; Bob answers, so both chains exist
await alice.repo.injectE2ESession({ jid: BOB, session: await bundle(bob, 1) })
const first = await alice.repo.encryptMessage({ jid: BOB, data: Buffer.from('hello bob') })
check(first.type === 'pkmsg', 'first message is a pkmsg')
const read = await bob.repo.decryptMessage({ jid: ALICE, type: first.type, ciphertext: first.ciphertext })
check(Buffer.from(read).toString() === 'hello bob', 'bob reads alice')
const answer = await bob.repo.encryptMessage({ jid: ALICE, data: Buffer.from('hello alice') })
const back = await alice.repo.decryptMessage({ jid: BOB, type: answer.type, ciphertext: answer.ciphertext })
check(Buffer.from(back).toString() === 'hello alice', 'alice reads bob')

// Carol (in memory) starts a session with Alice, consuming Alice's pre-key 3
const carol = memoryPeer()
await carol.injectE2ESession({ jid: ALICE, session: await bundle(alice, 3) })
const fromCarol = await carol.encryptMessage({ jid: ALICE, data: Buffer.from('hi from carol') })
const got = await alice.repo.decryptMessage({ jid: CAROL, type: fromCarol.type, ciphertext: fromCarol.ciphertext })
check(Buffer.from(got).toString() === 'hi from carol', 'alice reads carol')
check(!(await alice.keys.get('pre-key', ['3']))['3'], 'pre-key 3 was consumed')

// group: Alice's own sender key, distributed to Bob; Bob's, received by Alice
const group = await alice.repo.encryptGroupMessage({ group: GROUP, meId: ALICE, data: Buffer.from('hello group') })
await bob.repo.processSenderKeyDistributionMessage({
	item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: group.senderKeyDistributionMessage },
	authorJid: ALICE
})
const groupRead = await bob.repo.decryptGroupMessage({ group: GROUP, authorJid: ALICE, msg: group.ciphertext })
check(Buffer.from(groupRead).toString() === 'hello group', 'bob reads the group message')
const bobGroup = await bob.repo.encryptGroupMessage({ group: GROUP, meId: BOB, data: Buffer.from('bob to group') })
await alice.repo.processSenderKeyDistributionMessage({
	item: { groupId: GROUP, axolotlSenderKeyDistributionMessage: bobGroup.senderKeyDistributionMessage },
	authorJid: BOB
})
const aliceGroupRead = await alice.repo.decryptGroupMessage({ group: GROUP, authorJid: BOB, msg: bobGroup.ciphertext })
check(Buffer.from(aliceGroupRead).toString() === 'bob to group', 'alice reads bob in the group')

// app state, LID mappings, device lists, tctokens, sender-key memory; then deletions
const keyData = proto.Message.AppStateSyncKeyData.fromObject({
	keyData: Buffer.alloc(32, 7),
	fingerprint: { rawId: 1234567, currentIndex: 1, deviceIndexes: [0, 7] },
	timestamp: 1710000000123
})
await alice.keys.set({
	'app-state-sync-key': { '////AAAB': keyData, 'AAAAAQ+/': keyData },
	'app-state-sync-version': {
		regular_high: { version: 12, hash: Buffer.alloc(128, 1), indexValueMap: { '3FuU0x8=': { valueMac: Buffer.alloc(32, 2) } } },
		critical_block: { version: 0, hash: Buffer.alloc(128), indexValueMap: {} }
	},
	'lid-mapping': { '15550000003': '200000000000002', '200000000000002_reverse': '15550000003' },
	'device-list': { '15550000001': ['0', '7'], '15550000002': ['0'], '15550000009': ['0', '1'] },
	tctoken: {
		'200000000000002@lid': { token: Buffer.from([1, 2, 3]), timestamp: '1710000000', senderTimestamp: 1710000050 },
		__index: { token: Buffer.from(JSON.stringify(['200000000000002@lid'])) }
	},
	'sender-key-memory': { [GROUP]: { [BOB]: true, '15550000002:7@s.whatsapp.net': true } }
})
await alice.keys.set({ 'device-list': { '15550000009': null }, 'pre-key': { '5': null } })

Object.assign(alice.auth.creds, {
	me: { id: '15550000001:7@s.whatsapp.net', lid: '100000000000001:7@lid', name: 'Example' },
	platform: 'android',
	myAppStateKeyId: '////AAAB',
	additionalData: { note: 'example', nested: { n: 1, list: [1, 'two'] } }
})
await alice.saveCreds()
await bob.saveCreds()
console.log('wrote')
