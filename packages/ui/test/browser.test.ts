/**
 * The UI end to end, in a real headless Chromium: the poem demo runs tracked into a temp SQLite
 * file; the UI is navigated project → application → parallel step → child → back to the parent
 * with the states checked on the way; a live run updates the open page without a reload; and an
 * application of 10,000 steps and 1,000 children opens, its children expand and a jump lands on
 * step 5,000 (the timings are printed and saved, not asserted: the machine may be busy). Every
 * view is saved to `screenshots/` (git ignores it).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Server from "../src/Server.js"
import { demo, launchChromium, screenshots, trackLarge } from "./fixtures.js"

const dir = mkdtempSync(join(tmpdir(), "teasel-ui-"))
const db = join(dir, "teasel.db")
let browser: Browser
let server: Server.Server

beforeAll(async () => {
  browser = await launchChromium()
  const run = await demo("--db", db, "--id", "poems-e2e", "--delay", "5").exit
  expect(run.code, run.output).toBe(0)
  server = await Server.start({ filename: db, port: 0, pollInterval: 100 })
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

const newPage = async (): Promise<Page> => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  const errors: Array<string> = []
  page.on("pageerror", (error) => errors.push(error.message))
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text())
  })
  Object.assign(page, { errors })
  return page
}

const errorsOf = (page: Page): ReadonlyArray<string> => (page as unknown as { errors: Array<string> }).errors

const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true })

const text = (page: Page, selector: string) => page.locator(selector).first().innerText()

/** The text of an element, shown or not (a folded `<details>`). */
const content = async (page: Page, selector: string) => (await page.locator(selector).first().textContent()) ?? ""

describe("teasel ui in Chromium", () => {
  it("navigates project → application → parallel step → child → back to the parent", async () => {
    const page = await newPage()
    await page.goto(server.url)
    await expect.poll(() => page.locator("[data-testid=project-link]").allInnerTexts()).toEqual(["poems"])
    await shot(page, "ui-projects")

    await page.click("[data-testid=project-link]")
    const row = page.locator("[data-testid=app-row][data-app=poems-e2e]")
    await row.waitFor()
    expect(await row.innerText()).toMatch(/poems-e2e\s+completed\s+2\s+.*\s+3\s/)
    await shot(page, "ui-applications")

    await row.locator("[data-testid=app-link]").click()
    await page.waitForSelector("[data-testid=step-detail][data-seq='2']")
    expect(await text(page, "[data-testid=app-status]")).toBe("completed")
    expect(await text(page, "[data-testid=app-steps]")).toBe("2")
    expect(await page.locator("[data-testid=step-row]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-action")))).toEqual(["poems", "join"])
    expect(await page.locator("[data-testid=graph] .node").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-action")))).toEqual(["poems", "join"])
    // Following the application: its last step is selected, outlined in the graph.
    expect(await page.locator("[data-testid=graph] .node.selected").getAttribute("data-action")).toBe("join")
    const joined = JSON.parse(await content(page, "[data-testid=state]")) as { text: string; poems: ReadonlyArray<{ style: string }> }
    expect(joined.poems.map((p) => p.style)).toEqual(["sonnet", "limerick", "haiku"])
    expect(joined.text).toMatch(/^SONNET\n\n/)
    expect(await text(page, "[data-testid=diff]")).toMatch(/^text\s+changed/)
    await shot(page, "ui-application")

    // The parallel step: its state gained the poems; its children inline.
    await page.click("[data-testid=step-row][data-seq='1']")
    await page.waitForSelector("[data-testid=step-detail][data-seq='1']")
    expect(await page.locator("[data-testid=graph] .node.selected").getAttribute("data-action")).toBe("poems")
    expect(await page.locator("[data-testid=diff] li .path").allInnerTexts()).toEqual(["poems[0]", "poems[1]", "poems[2]"])
    await page.click("[data-testid=step-row][data-seq='1'] [data-testid=children-toggle]")
    await page.waitForSelector("[data-testid=aggregates]")
    expect(await text(page, "[data-testid=aggregates]")).toMatch(/3 children\s+3 succeeded\s+0 failed\s+0 interrupted\s+slowest: poems-e2e:1:poems:\d/)
    const children = page.locator("[data-testid=child-row]")
    expect(await children.evaluateAll((rows) => rows.map((r) => r.getAttribute("data-child")))).toEqual([
      "poems-e2e:1:poems:0",
      "poems-e2e:1:poems:1",
      "poems-e2e:1:poems:2"
    ])
    // Expanded in place: the child's steps and result, without leaving the parent.
    await children.nth(1).locator(".child-line").click()
    const detail = page.locator("[data-testid=child-detail]")
    await detail.waitFor()
    expect(await detail.innerText()).toMatch(/1 write\s+2 edit\s+3 write/)
    expect(await detail.innerText()).toContain(`"style": "limerick"`)
    expect(page.url()).toContain("id=poems-e2e")
    await shot(page, "ui-children")

    // The child as an application of its own, linked to its parent and the step that spawned it.
    await children.nth(0).locator("[data-testid=open-child]").click()
    await page.waitForSelector("[data-testid=lineage]")
    expect(await text(page, "[data-testid=app-id]")).toBe("poems-e2e:1:poems:0")
    expect(await text(page, "[data-testid=lineage]")).toBe("Child of poems-e2e, spawned by step 1 (poems)")
    await page.waitForSelector("[data-testid=step-detail][data-seq='3']")
    const sonnet = JSON.parse(await content(page, "[data-testid=state]")) as { style: string; drafts: ReadonlyArray<string>; notes: ReadonlyArray<string> }
    expect(sonnet).toMatchObject({ style: "sonnet", maxDrafts: 2 })
    expect(sonnet.drafts).toHaveLength(2)
    expect(sonnet.notes).toHaveLength(1)
    expect(await text(page, "[data-testid=diff]")).toMatch(/^drafts\[1\]\s+added/)
    await page.click("[data-testid=step-row][data-seq='1']")
    await page.waitForSelector("[data-testid=step-detail][data-seq='1']")
    expect(await page.locator("[data-testid=diff] li .path").allInnerTexts()).toEqual(["drafts[0]"])
    expect(JSON.parse(await content(page, "[data-testid=previous-state]"))).toMatchObject({ style: "sonnet", drafts: [], notes: [] })
    await shot(page, "ui-child")

    await page.click("[data-testid=parent-link]")
    await expect.poll(() => text(page, "[data-testid=app-id]")).toBe("poems-e2e")
    await page.waitForSelector("[data-testid=step-detail][data-seq='1']")
    expect(await page.locator("tr.step.selected").getAttribute("data-seq")).toBe("1")
    await page.goBack()
    await expect.poll(() => text(page, "[data-testid=app-id]")).toBe("poems-e2e:1:poems:0")
    await page.waitForSelector("[data-testid=lineage]")
    expect(errorsOf(page)).toEqual([])
    await page.close()
  })

  it("updates a running application without a reload", async () => {
    // Three styles, five model calls each, 1.5 s a call for a sonnet: several seconds to watch.
    const run = demo("--db", db, "--id", "poems-live", "--drafts", "3", "--delay", "1500")
    try {
      // Open the application as soon as it is tracked.
      await expect.poll(async () => {
        const res = await fetch(`${server.url}/api/application?id=poems-live`)
        return ((await res.json()) as { status?: string } | null)?.status
      }, { timeout: 20_000, interval: 50 }).toBe("running")
      const page = await newPage()
      await page.goto(`${server.url}/#/app?id=poems-live`)
      await page.waitForSelector("[data-testid=app-status]")
      await page.evaluate(() => Object.assign(window, { sameDocument: true }))
      expect(await text(page, "[data-testid=app-status]")).toBe("running")

      // While it runs: the parallel step is running, its children appear and move on.
      await page.waitForSelector("[data-testid=step-row][data-seq='1'] .badge.running")
      await page.waitForSelector("[data-testid=graph] .node.running[data-action=poems]")
      await page.click("[data-testid=step-row][data-seq='1'] [data-testid=children-toggle]")
      await page.waitForSelector("[data-testid=aggregates]")
      await expect.poll(() => text(page, "[data-testid=aggregates]"), { timeout: 20_000 }).toMatch(/3 children.*\d running/s)
      await shot(page, "ui-live-running")
      // The status and the figures read in one go (one round-trip, one rendering of the page):
      // the page ends with the application completed and its three children succeeded.
      await page.waitForFunction(() => {
        const status = document.querySelector("[data-testid=app-status]")?.textContent ?? ""
        const aggregates = document.querySelector("[data-testid=aggregates]")?.textContent ?? ""
        return status.trim() === "completed" && /3 succeeded/.test(aggregates)
      }, undefined, { timeout: 60_000, polling: 100 })
      // It was never reloaded.
      expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true)
      expect(await text(page, "[data-testid=app-steps]")).toBe("2")
      await page.waitForSelector("[data-testid=step-row][data-seq='2'][data-action=join]")
      await shot(page, "ui-live-completed")
      expect(errorsOf(page)).toEqual([])
      await page.close()
    } finally {
      run.child.kill()
    }
    expect((await run.exit).code).toBe(0)
  })

  it("opens an application of 10,000 steps and 1,000 children, its children and a jump to step 5,000", async () => {
    const large = join(dir, "large.db")
    const tracked = Date.now()
    const app = await trackLarge(large, { children: 1000, steps: 10_000 })
    const trackedMs = Date.now() - tracked
    expect(app.sequenceId).toBe(10_000)
    const big = await Server.start({ filename: large, port: 0 })
    const page = await newPage()
    try {
      // The page's script is bundled on first request: load it once before timing.
      await page.goto(big.url)
      await page.waitForSelector("[data-testid=project-link]")

      let started = Date.now()
      await page.goto(`${big.url}/#/app?id=large`)
      await page.waitForSelector("[data-testid=step-detail][data-seq='10000']")
      await page.waitForSelector("[data-testid=graph] .node.selected[data-action=done]")
      const openMs = Date.now() - started
      expect(await text(page, "[data-testid=steps-page]")).toBe("steps 9901–10000 of 10,000")
      expect(await page.locator("[data-testid=step-row]").count()).toBe(100)
      await shot(page, "ui-large")

      // The parallel step, and its thousand children: a page of them and figures over all.
      started = Date.now()
      await page.goto(`${big.url}/#/app?id=large&step=1`)
      await page.waitForSelector("[data-testid=step-detail][data-seq='1']")
      const firstStepMs = Date.now() - started
      started = Date.now()
      await page.click("[data-testid=step-row][data-seq='1'] [data-testid=children-toggle]")
      await page.waitForSelector("[data-testid=aggregates]")
      const childrenMs = Date.now() - started
      expect(await text(page, "[data-testid=aggregates]")).toMatch(/1,000 children\s+1000 succeeded\s+0 failed\s+0 interrupted/)
      expect(await page.locator("[data-testid=child-row]").count()).toBe(50)

      started = Date.now()
      await page.fill("input[name=step]", "5000")
      await page.press("input[name=step]", "Enter")
      await page.waitForSelector("[data-testid=step-detail][data-seq='5000']")
      const jumpMs = Date.now() - started
      expect(await text(page, "[data-testid=steps-page]")).toBe("steps 4901–5000 of 10,000")
      expect(JSON.parse(await content(page, "[data-testid=state]"))).toMatchObject({ count: 4999, recent: [4995, 4996, 4997, 4998, 4999] })

      const timings = { trackedMs, openMs, firstStepMs, childrenMs, jumpMs }
      console.log("large application (10,000 steps, 1,000 children):", JSON.stringify(timings))
      writeFileSync(join(screenshots, "ui-large-timings.json"), `${JSON.stringify(timings, null, 2)}\n`)
      expect(errorsOf(page)).toEqual([])
    } finally {
      await page.close()
      await big.close()
    }
  })
})
