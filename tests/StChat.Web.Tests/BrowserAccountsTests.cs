using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Playwright;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// The signed-in page in real Chromium against the real `serve` process: accounts made through the page, unread badges
// kept live over one /ws socket per tab, read markers shared by the tabs of an account, and a third account that sees
// nothing of a conversation it is not in, whichever way it asks.
[Collection(StackCollection.Name)]
public sealed class BrowserAccountsTests(StackFixture stack)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);
    private const string Password = "correct horse battery";

    // STCHAT_UPDATE_SCREENSHOTS=1 also writes the screenshots to docs/screenshots/ (see the README there).
    private static readonly bool UpdateDocs = Environment.GetEnvironmentVariable("STCHAT_UPDATE_SCREENSHOTS") == "1";

    [Fact]
    public async Task Unread_badges_clear_in_every_tab_on_reading_and_a_third_account_cannot_open_the_conversation()
    {
        // Names unique to this run: the stack (and its accounts) is shared by the test classes of the collection, and
        // a registered name can no longer be taken by an anonymous visitor.
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var annName = $"Ann-{suffix}";
        var bobName = $"Bob-{suffix}";
        var carolName = $"Carol-{suffix}";
        var dm = $"dm:{annName.ToLowerInvariant()}:{bobName.ToLowerInvariant()}";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var viewport = new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 680 } };
        await using var annContext = await browser.NewContextAsync(viewport);
        await using var bobContext = await browser.NewContextAsync(viewport);
        await using var carolContext = await browser.NewContextAsync(viewport);

        // 1. Ann and Bob sign up through the page.
        var ann = await annContext.NewPageAsync();
        await ann.GotoAsync(stack.Serve.HttpUri.ToString());
        await ann.FillAsync("#auth-name", annName);
        await ann.FillAsync("#auth-password", Password);
        await ShootAsync(ann, "sign-in");
        await ann.ClickAsync("#signup");
        await WaitSignedInAsync(ann, annName);

        var bob = await bobContext.NewPageAsync();
        await SignUpAsync(bob, bobName);

        // 2. Bob has a public room open, in two tabs; the second tab is signed in by the first one's session.
        var room = $"plans-{suffix}";
        await OpenPublicRoomAsync(bob, room);
        await SendAsync(bob, "Anyone up for a walk later?");
        var bobTab2 = await bobContext.NewPageAsync();
        await bobTab2.GotoAsync(stack.Serve.HttpUri.ToString());
        await WaitSignedInAsync(bobTab2, bobName);
        await OpenPublicRoomAsync(bobTab2, room);
        await WaitForMessageAsync(bobTab2, "Anyone up for a walk later?");

        // Ann finds Bob in the directory and writes to him.
        await ann.FillAsync("#user-search", bobName);
        await ann.ClickAsync($"#users li[data-user='{bobName}']");
        await Expect(ann.Locator("#conv-title")).ToHaveTextAsync(bobName, new() { Timeout = Ms(Patience) });
        await SendAsync(ann, "Hi Bob, are you coming on Saturday?");
        await WaitForMessageAsync(ann, "Hi Bob, are you coming on Saturday?");
        await Expect(ann.Locator("#conv-pending li")).ToHaveCountAsync(0, new() { Timeout = Ms(Patience) });

        // Bob's badge shows 1 in both tabs, while each still shows the public room.
        foreach (var tab in new[] { bob, bobTab2 })
        {
            await Expect(Badge(tab, dm)).ToHaveTextAsync("1", new() { Timeout = Ms(Patience) });
            await Expect(Badge(tab, dm)).ToBeVisibleAsync();
            await Expect(tab.Locator("#conv-title")).ToHaveTextAsync($"#{room}");
        }

        await ShootAsync(bob, "conversation-with-badge");

        // 3. Bob opens the conversation in one tab: the badge clears in both, and Ann sees that Bob has read it.
        await bob.ClickAsync($"#conversations li[data-room='{dm}']");
        await WaitForMessageAsync(bob, "Hi Bob, are you coming on Saturday?");
        foreach (var tab in new[] { bob, bobTab2 })
        {
            await Expect(tab.Locator($"#conversations li[data-room='{dm}']")).ToHaveAttributeAsync("data-unread", "0", new() { Timeout = Ms(Patience) });
            await Expect(Badge(tab, dm)).ToBeHiddenAsync();
        }

        await Expect(bobTab2.Locator("#conv-title")).ToHaveTextAsync($"#{room}");
        await Expect(ann.Locator("#seen")).ToHaveTextAsync($"Seen by {bobName}", new() { Timeout = Ms(Patience) });
        // "Seen" sits under the message Bob read.
        Assert.Equal("Hi Bob, are you coming on Saturday?",
            await ann.Locator("#seen").EvaluateAsync<string>("n => n.previousElementSibling.querySelector('.text').textContent"));

        await SendAsync(bob, "Yes! I'll bring the map.");
        await WaitForMessageAsync(ann, "Yes! I'll bring the map.");
        await ShootAsync(ann, "conversation-seen");

        // Ann makes a group with Bob; Bob's tabs are told about it over their sockets.
        await ann.ClickAsync("#new-group");
        await ann.FillAsync("#group-title", "Saturday walk");
        await ann.FillAsync("#group-members", bobName);
        await ShootAsync(ann, "group-creation");
        await ann.ClickAsync("#group-create");
        await Expect(ann.Locator("#conv-title")).ToHaveTextAsync("Saturday walk", new() { Timeout = Ms(Patience) });
        var group = await ann.Locator("#conversations li.current").GetAttributeAsync("data-room");
        Assert.NotNull(group);
        Assert.StartsWith("group:", group, StringComparison.Ordinal);
        await SendAsync(ann, "Meet at the station at nine.");
        await WaitForMessageAsync(ann, "Meet at the station at nine.");
        await Expect(Badge(bobTab2, group)).ToHaveTextAsync("1", new() { Timeout = Ms(Patience) });

        // 4. Carol, a third account, gets nothing of either conversation: not by URL, REST or WebSocket.
        var carol = await carolContext.NewPageAsync();
        await SignUpAsync(carol, carolName);
        var token = await carol.EvaluateAsync<string>("() => JSON.parse(localStorage.getItem('stchat.session')).token");

        foreach (var key in new[] { dm, group })
        {
            await carol.GotoAsync($"{stack.Serve.HttpUri}#/c/{Uri.EscapeDataString(key)}");
            await Expect(carol.Locator("#conv-error")).ToContainTextAsync("No such conversation", new() { Timeout = Ms(Patience) });
            await Expect(carol.Locator("#conv-log li")).ToHaveCountAsync(0);
            await Expect(carol.Locator($"#conversations li[data-room='{key}']")).ToHaveCountAsync(0);
            Assert.DoesNotContain("Saturday", await carol.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

            var (status, code) = await GetEventsAsync(token, key);
            Assert.Equal(HttpStatusCode.NotFound, status);
            Assert.Equal("not_found", code);

            var refusal = await SubscribeAsync(token, key);
            Assert.Equal("not_found", refusal.GetProperty("code").GetString());
            Assert.Equal(key, refusal.GetProperty("room").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, await UpgradeStatusAsync(token, "/groups/" + group["group:".Length..]));
        // /dm/<name> is always the caller's own conversation with <name>; a conversation key is no name.
        Assert.Equal(HttpStatusCode.NotFound, await UpgradeStatusAsync(token, "/dm/" + dm));
    }

    private static float Ms(TimeSpan t) => (float)t.TotalMilliseconds;

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static ILocator Badge(IPage page, string room) => page.Locator($"#conversations li[data-room='{room}'] .badge");

    private async Task SignUpAsync(IPage page, string name)
    {
        await page.GotoAsync(stack.Serve.HttpUri.ToString());
        await page.FillAsync("#auth-name", name);
        await page.FillAsync("#auth-password", Password);
        await page.ClickAsync("#signup");
        await WaitSignedInAsync(page, name);
    }

    private static async Task WaitSignedInAsync(IPage page, string name)
    {
        await Expect(page.Locator("#me")).ToHaveTextAsync(name, new() { Timeout = Ms(Patience) });
        await page.Locator("#status[data-state='open']").WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });
    }

    private static async Task OpenPublicRoomAsync(IPage page, string room)
    {
        await page.FillAsync("#room-name", room);
        await page.PressAsync("#room-name", "Enter");
        await Expect(page.Locator("#conv-title")).ToHaveTextAsync($"#{room}", new() { Timeout = Ms(Patience) });
        await Expect(page.Locator($"#conversations li[data-room='{room}']")).ToHaveCountAsync(1, new() { Timeout = Ms(Patience) });
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("#conv-text", text);
        await page.PressAsync("#conv-text", "Enter");
    }

    private static Task WaitForMessageAsync(IPage page, string text) =>
        page.Locator("#conv-log li.message .text", new PageLocatorOptions { HasTextString = text })
            .First.WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });

    private async Task<(HttpStatusCode Status, string? Code)> GetEventsAsync(string token, string key)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(stack.Serve.HttpUri, $"api/conversations/{Uri.EscapeDataString(key)}/events"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        return (response.StatusCode, json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null);
    }

    // The error frame /ws answers a subscribe with.
    private async Task<JsonElement> SubscribeAsync(string token, string key)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(WebSocketUri("/ws", token), timeout.Token);
        var subscribe = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["action"] = "subscribe", ["room"] = key });
        await socket.SendAsync(subscribe, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var frame = await ChatPageServingTests.ReceiveUntilAsync(socket, "\"action\":\"error\"", timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return JsonDocument.Parse(frame).RootElement.Clone();
    }

    private async Task<HttpStatusCode> UpgradeStatusAsync(string token, string path)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri(path, token), timeout.Token));
        return socket.HttpStatusCode;
    }

    private Uri WebSocketUri(string path, string token) =>
        new UriBuilder(stack.Serve.HttpUri) { Scheme = "ws", Path = path, Query = "access_token=" + Uri.EscapeDataString(token) }.Uri;

    private static async Task ShootAsync(IPage page, string name)
    {
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Repository.ArtifactsDirectory, name + ".png") });
        if (UpdateDocs)
        {
            var docs = Path.Combine(Repository.Root, "docs", "screenshots");
            Directory.CreateDirectory(docs);
            await File.WriteAllBytesAsync(Path.Combine(docs, name + ".png"), png);
        }
    }
}
