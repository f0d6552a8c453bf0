using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using StChat.Testing;
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
        await Screenshots.TakeAsync(ann, "sign-in");
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

        await Screenshots.TakeAsync(bob, "conversation-with-badge");

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
        // A page loaded afterwards knows it too: the conversation list carries the other members' read markers.
        await ann.ReloadAsync();
        await ann.ClickAsync($"#conversations li[data-room='{dm}']");
        await Expect(ann.Locator("#seen")).ToHaveTextAsync($"Seen by {bobName}", new() { Timeout = Ms(Patience) });

        // Typing notices are throttled on both ends, so keep typing the way a person does until Ann sees it.
        var typing = ann.Locator("#conv-typing", new PageLocatorOptions { HasTextString = $"{bobName} is typing" });
        await Eventually.Until(async () =>
        {
            await bob.Locator("#conv-text").PressSequentiallyAsync("ye", new LocatorPressSequentiallyOptions { Delay = 150 });
            return await typing.IsVisibleAsync();
        }, Patience, "Ann sees that Bob is typing");
        await bob.FillAsync("#conv-text", "");

        await SendAsync(bob, "Yes! I'll bring the map.");
        await WaitForMessageAsync(ann, "Yes! I'll bring the map.");
        await Screenshots.TakeAsync(ann, "conversation-seen");

        // Ann makes a group with Bob; Bob's tabs are told about it over their sockets.
        await ann.ClickAsync("#new-group");
        await ann.FillAsync("#group-title", "Saturday walk");
        await ann.FillAsync("#group-members", bobName);
        await Screenshots.TakeAsync(ann, "group-creation");
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

        // Ann adds Carol to the group, and Carol's page is told at once; Bob leaves it.
        await ann.FillAsync("#add-member-name", carolName);
        await ann.PressAsync("#add-member-name", "Enter");
        await Expect(ann.Locator("#conv-log li.system", new() { HasTextString = $"{annName} added {carolName}" })).ToHaveCountAsync(1, new() { Timeout = Ms(Patience) });
        await Expect(carol.Locator($"#conversations li[data-room='{group}']")).ToHaveCountAsync(1, new() { Timeout = Ms(Patience) });
        await bob.ClickAsync($"#conversations li[data-room='{group}']");
        await WaitForMessageAsync(bob, "Meet at the station at nine.");
        await bob.ClickAsync("#leave-group");
        await Expect(ann.Locator("#conv-log li.system", new() { HasTextString = $"{bobName} left" })).ToHaveCountAsync(1, new() { Timeout = Ms(Patience) });
        await Expect(bob.Locator("#conv-compose")).ToBeHiddenAsync(new() { Timeout = Ms(Patience) });
        await Expect(bob.Locator($"#conversations li[data-room='{group}']")).ToHaveClassAsync(new Regex("gone"), new() { Timeout = Ms(Patience) });
        await Expect(ann.Locator("#conv-members")).ToHaveTextAsync($"{annName}, {carolName}");
        await Screenshots.TakeAsync(ann, "group-conversation");

        // Bob logs out in one tab: the other is signed out with it.
        await bob.ClickAsync("#logout");
        foreach (var tab in new[] { bob, bobTab2 })
        {
            await Expect(tab.Locator("#auth")).ToBeVisibleAsync(new() { Timeout = Ms(Patience) });
            await Expect(tab.Locator("#app")).ToBeHiddenAsync();
        }
    }

    [Fact]
    public async Task A_tab_that_loses_its_socket_catches_up_on_every_conversation_once_and_scrolls_back_through_history()
    {
        var suffix = Guid.NewGuid().ToString("N")[..4];
        var danName = $"Dan-{suffix}";
        var eveName = $"Eve-{suffix}";
        var dm = $"dm:{danName.ToLowerInvariant()}:{eveName.ToLowerInvariant()}";
        var danToken = await CreateAccountAsync(danName);
        var eveToken = await CreateAccountAsync(eveName);

        // More than one page of history, all unread for Dan before he ever signs in.
        const int Earlier = 60;
        for (var i = 1; i <= Earlier; i++)
        {
            await PostAsync(eveToken, dm, $"Eve #{i}");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 680 } });
        // Chromium's offline mode refuses new connections but leaves open WebSockets alone; remembering the page's
        // sockets lets the test drop the live one as a network failure would.
        await context.AddInitScriptAsync("""
            (() => {
              const Native = window.WebSocket;
              window.__stchatSockets = [];
              window.WebSocket = class extends Native {
                constructor(...args) { super(...args); window.__stchatSockets.push(this); }
              };
            })();
            """);
        var dan = await context.NewPageAsync();
        await dan.GotoAsync(stack.Serve.HttpUri.ToString());
        await dan.FillAsync("#auth-name", danName);
        await dan.FillAsync("#auth-password", Password);
        await dan.ClickAsync("#signin");
        await WaitSignedInAsync(dan, danName);
        await Expect(Badge(dan, dm)).ToHaveTextAsync(Earlier.ToString(CultureInfo.InvariantCulture), new() { Timeout = Ms(Patience) });

        // Opening shows the newest page; scrolling to the top brings the rest, in order.
        await dan.ClickAsync($"#conversations li[data-room='{dm}']");
        await WaitForMessageAsync(dan, $"Eve #{Earlier}");
        await Expect(dan.Locator("#older")).ToBeVisibleAsync();
        await Eventually.Until(async () =>
        {
            await dan.Locator("#conv-log-wrap").EvaluateAsync("w => { w.scrollTop = 0; }");
            return await dan.Locator("#conv-log li[data-seq]").CountAsync() == Earlier;
        }, Patience, "scrolling back shows every earlier message");
        Assert.Equal(Enumerable.Range(1, Earlier).Select(i => (long)i), await SeqsAsync(dan));
        await Expect(dan.Locator("#older")).ToBeHiddenAsync();
        await Expect(Badge(dan, dm)).ToBeHiddenAsync(new() { Timeout = Ms(Patience) });

        var group = await CreateGroupAsync(eveToken, "Book club", danName);
        await Expect(dan.Locator($"#conversations li[data-room='{group}']")).ToHaveCountAsync(1, new() { Timeout = Ms(Patience) });

        // The network drops. Meanwhile Eve writes in both conversations and starts another group, and Dan writes too.
        await context.SetOfflineAsync(true);
        // Offline mode can hold up the close handshake of the live socket for a long time; the page is told of the
        // drop at once, as a lost connection eventually tells it.
        await dan.EvaluateAsync("() => window.__stchatSockets.forEach(s => { s.close(); s.dispatchEvent(new CloseEvent('close', { code: 1006 })); })");
        await dan.Locator("#banner").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Visible, Timeout = Ms(Patience) });
        await PostAsync(eveToken, dm, "Eve while Dan is away 1");
        await PostAsync(eveToken, dm, "Eve while Dan is away 2");
        await PostAsync(eveToken, group, "Chapter three for next week");
        var secondGroup = await CreateGroupAsync(eveToken, "Cinema", danName);
        await PostAsync(eveToken, secondGroup, "Friday at eight?");
        await SendAsync(dan, "Dan wrote this offline");
        await dan.Locator("#conv-pending li", new PageLocatorOptions { HasTextString = "Dan wrote this offline" })
            .WaitForAsync(new LocatorWaitForOptions { Timeout = Ms(Patience) });

        // Back online: every conversation resumes after its last seq, the queued message is stored once, the open
        // conversation is read, and the others count what was missed.
        await context.SetOfflineAsync(false);
        await dan.Locator("#banner").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden, Timeout = Ms(Patience) });
        await WaitForMessageAsync(dan, "Dan wrote this offline");
        var total = Earlier + 3;
        await Eventually.Until(async () => (await SeqsAsync(dan)).Length == total, Patience, "the open conversation has every event");
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), await SeqsAsync(dan));
        Assert.Equal(["Eve while Dan is away 1", "Eve while Dan is away 2", "Dan wrote this offline"], (await MessagesAsync(dan))[^3..]);
        await Expect(dan.Locator("#conv-pending li")).ToHaveCountAsync(0, new() { Timeout = Ms(Patience) });
        await Expect(Badge(dan, group)).ToHaveTextAsync("1", new() { Timeout = Ms(Patience) });
        await Expect(Badge(dan, secondGroup)).ToHaveTextAsync("1", new() { Timeout = Ms(Patience) });
        await Expect(Badge(dan, dm)).ToBeHiddenAsync();

        // Logging out ends the page's session on the server too; the session made over REST is another one.
        var pageToken = await dan.EvaluateAsync<string>("() => JSON.parse(localStorage.getItem('stchat.session')).token");
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(pageToken));
        await dan.ClickAsync("#logout");
        await Expect(dan.Locator("#auth")).ToBeVisibleAsync(new() { Timeout = Ms(Patience) });
        await Eventually.Until(async () => await MeStatusAsync(pageToken) == HttpStatusCode.Unauthorized, Patience,
            "the page's token no longer works");
        Assert.Equal(HttpStatusCode.OK, await MeStatusAsync(danToken));
        Assert.Null(await dan.EvaluateAsync<string?>("() => localStorage.getItem('stchat.session')"));
    }

    private static float Ms(TimeSpan t) => ChatPageLog.Ms(t);

    private static Task<long[]> SeqsAsync(IPage page) => ChatPageLog.SeqsAsync(page, "#conv-log");

    private static Task<string[]> MessagesAsync(IPage page) => ChatPageLog.MessagesAsync(page, "#conv-log");

    // An account and a session of it, over REST; returns the token.
    private async Task<string> CreateAccountAsync(string name)
    {
        using var http = new HttpClient { BaseAddress = stack.Serve.HttpUri };
        using var created = await http.PostAsJsonAsync("api/accounts", new { name, password = Password });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var session = await http.PostAsJsonAsync("api/sessions", new { name, password = Password });
        Assert.Equal(HttpStatusCode.Created, session.StatusCode);
        using var json = JsonDocument.Parse(await session.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    private async Task PostAsync(string token, string key, string text)
    {
        using var http = Authorized(token);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"api/conversations/{Uri.EscapeDataString(key)}/messages")
        {
            Content = JsonContent.Create(new { text }),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<string> CreateGroupAsync(string token, string title, params string[] members)
    {
        using var http = Authorized(token);
        using var response = await http.PostAsJsonAsync("api/groups", new { title, members });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("room").GetString()!;
    }

    private async Task<HttpStatusCode> MeStatusAsync(string token)
    {
        using var http = Authorized(token);
        using var response = await http.GetAsync("api/me");
        return response.StatusCode;
    }

    private HttpClient Authorized(string token)
    {
        var http = new HttpClient { BaseAddress = stack.Serve.HttpUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

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

    private static Task SendAsync(IPage page, string text) => ChatPageLog.SendAsync(page, "#conv-text", text);

    private static Task WaitForMessageAsync(IPage page, string text) => ChatPageLog.WaitForMessageAsync(page, "#conv-log", text, Patience);

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
}
