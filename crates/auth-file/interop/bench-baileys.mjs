// The baseline of `cargo xtask bench auth`: Baileys' own
// useMultiFileAuthState writing, reading back (fresh store), overwriting
// through addTransactionCapability and deleting `n` pre-keys, as research
// §8 measured it. Prints one JSON line: keys/s per phase and bytes on disk.
// Usage: node bench-baileys.mjs <empty-dir> <n>
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { addTransactionCapability, Curve, useMultiFileAuthState } from '@whiskeysockets/baileys'
import { logger } from './common.mjs'

const [dir, count] = process.argv.slice(2)
const n = Number(count)
const ids = Array.from({ length: n }, (_, i) => String(i + 1))
const pairs = Object.fromEntries(ids.map(id => [id, Curve.generateKeyPair()]))
const rate = async work => {
	const started = process.hrtime.bigint()
	await work()
	return n / (Number(process.hrtime.bigint() - started) / 1e9)
}

let { state } = await useMultiFileAuthState(dir)
const write = await rate(() => state.keys.set({ 'pre-key': pairs }))
;({ state } = await useMultiFileAuthState(dir))
let found = 0
const read = await rate(async () => {
	found = Object.keys(await state.keys.get('pre-key', ids)).length
})
if (found !== n) throw new Error(`read back ${found} of ${n}`)
const keys = addTransactionCapability(state.keys, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 })
const overwrite = await rate(() => keys.transaction(async () => keys.set({ 'pre-key': pairs }), 'bench'))
let bytes = 0
let logical = 0
for (const name of readdirSync(dir)) {
	const stat = statSync(join(dir, name))
	bytes += stat.blocks * 512
	logical += stat.size
}
const nulls = Object.fromEntries(ids.map(id => [id, null]))
const remove = await rate(() => state.keys.set({ 'pre-key': nulls }))
console.log(JSON.stringify({ write, read, overwrite, delete: remove, bytes, logical }))
