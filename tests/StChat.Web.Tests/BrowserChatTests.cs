using Microsoft.Playwright;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// Two real Chromium pages (Debian's chromium, headless, driven by Playwright's bundled driver) against the real
// `serve` process: the page must keep both histories identical across a disconnect, with no gaps and no repeats.
[Collection(StackCollection.Name)]
public sealed class BrowserChatTests(StackFixture stack)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Two_pages_exchange_messages_and_end_with_the_same_history_after_one_goes_offline()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        await using var annContext = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 900, Height = 600 } });
        await using var bobContext = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 900, Height = 600 } });
        // Chromium's offline mode refuses new connections but leaves open WebSockets alone; remembering Bob's sockets
        // lets the test drop the live one as a network failure would.
        await bobContext.AddInitScriptAsync("""
            (() => {
              const Native = window.WebSocket;
              window.__stchatSockets = [];
              window.WebSocket = class extends Native {
                constructor(...args) { super(...args); window.__stchatSockets.push(this); }
              };
            })();
            """);
        var ann = await annContext.NewPageAsync();
        var bob = await bobContext.NewPageAsync();
        var room = "browser-" + Guid.NewGuid().ToString("N")[..8];

        await JoinAsync(ann, "Ann", room);
        await JoinAsync(bob, "Bob", room);

        await SayAsync(ann, "Hello from Ann");
        await SayAsync(bob, "Hi Ann, Bob here");
        await WaitForMessagesAsync(ann, "Hello from Ann", "Hi Ann, Bob here");
        await WaitForMessagesAsync(bob, "Hello from Ann", "Hi Ann, Bob here");
        await ann.Locator("#people li[data-user='Bob']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });

        // Typing notices are throttled on both ends (and the message just sent ended the last one), so keep typing
        // the way a person does until Ann sees it.
        var typing = ann.Locator("#typing", new PageLocatorOptions { HasTextString = "Bob is typing" });
        await Eventually.Until(async () =>
        {
            await bob.Locator("#text").PressSequentiallyAsync("ty", new LocatorPressSequentiallyOptions { Delay = 150 });
            return await typing.IsVisibleAsync();
        }, Patience, "Ann sees that Bob is typing");
        await bob.Locator("#text").FillAsync("");

        // Bob drops off the network: his socket dies, the banner shows, and what he sends waits as pending.
        await bobContext.SetOfflineAsync(true);
        await bob.EvaluateAsync("() => window.__stchatSockets.forEach(s => s.close())");
        await bob.Locator("#banner").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = Ms(Patience) });
        await SayAsync(ann, "Ann while Bob is away 1");
        await SayAsync(ann, "Ann while Bob is away 2");
        await SendAsync(bob, "Bob wrote this offline");
        await bob.Locator("#pending li", new PageLocatorOptions { HasTextString = "Bob wrote this offline" })
            .WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });
        await WaitForMessagesAsync(ann, "Ann while Bob is away 1", "Ann while Bob is away 2");
        await Shoot(bob, "bob-offline");

        // Back online: Bob resumes after his last seq, gets what he missed, and his queued message is delivered once.
        await bobContext.SetOfflineAsync(false);
        await bob.Locator("#banner").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden, Timeout = Ms(Patience) });
        await SayAsync(bob, "Bob is back");
        await SayAsync(ann, "Welcome back");

        var expected = new[]
        {
            "Hello from Ann", "Hi Ann, Bob here", "Ann while Bob is away 1", "Ann while Bob is away 2",
            "Bob wrote this offline", "Bob is back", "Welcome back",
        };
        await WaitForMessagesAsync(ann, expected);
        await WaitForMessagesAsync(bob, expected);

        // The same seqs on both pages, each once and without gaps; nothing left pending. Exits of the dropped socket
        // may still arrive, so compare until both pages agree.
        long[] annSeqs = [], bobSeqs = [];
        await Eventually.Until(async () =>
        {
            annSeqs = await SeqsAsync(ann);
            bobSeqs = await SeqsAsync(bob);
            return annSeqs.SequenceEqual(bobSeqs);
        }, Patience, "both pages show the same events");

        Assert.Equal(annSeqs.Distinct().Count(), annSeqs.Length);
        Assert.Equal(Enumerable.Range(1, annSeqs.Length).Select(i => (long)i), annSeqs);
        Assert.Equal(expected, await MessagesAsync(ann));
        Assert.Equal(expected, await MessagesAsync(bob));
        Assert.Equal(0, await ann.Locator("#pending li").CountAsync());
        Assert.Equal(0, await bob.Locator("#pending li").CountAsync());

        await Shoot(ann, "ann-final");
        await Shoot(bob, "bob-final");
    }

    private static float Ms(TimeSpan t) => ChatPageLog.Ms(t);

    private async Task JoinAsync(IPage page, string name, string room)
    {
        await page.GotoAsync(stack.Serve.HttpUri.ToString());
        await page.FillAsync("#name", name);
        await page.FillAsync("#room", room);
        await page.ClickAsync("#join button[type=submit]");
        await page.Locator("#status[data-state='open']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });
    }

    private static Task SendAsync(IPage page, string text) => ChatPageLog.SendAsync(page, "#text", text);

    // Sends and waits until the message is committed (it is in the sender's own log), so that what someone else sends
    // next is ordered after it, as it would be in a conversation.
    private static async Task SayAsync(IPage page, string text)
    {
        await SendAsync(page, text);
        await WaitForMessagesAsync(page, text);
    }

    private static async Task WaitForMessagesAsync(IPage page, params string[] texts)
    {
        foreach (var text in texts)
        {
            await ChatPageLog.WaitForMessageAsync(page, "#log", text, Patience);
        }
    }

    private static Task<long[]> SeqsAsync(IPage page) => ChatPageLog.SeqsAsync(page, "#log");

    private static Task<string[]> MessagesAsync(IPage page) => ChatPageLog.MessagesAsync(page, "#log");

    private static Task Shoot(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repository.ArtifactsDirectory, name + ".png") });
}
