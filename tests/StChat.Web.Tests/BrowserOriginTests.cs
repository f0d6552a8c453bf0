using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Playwright;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// Cross-site WebSocket hijacking, in a real Chromium: pages served by other web servers (other origins) try to open a
// chat socket. The server refuses the page whose origin is not in Chat:AllowedOrigins before the upgrade, and lets the
// listed one and its own page in.
public sealed class BrowserOriginTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    // Opens a chat socket: "open" when it opens, "refused" when the browser reports it failed.
    private const string TryChat = """
        url => new Promise(resolve => {
          const socket = new WebSocket(url);
          socket.onopen = () => { socket.close(); resolve("open"); };
          socket.onerror = () => resolve("refused");
        })
        """;

    // The other origins' page, whose own script holds TryChat.
    private const string Page = "<!doctype html><title>Elsewhere</title><script>window.tryChat = " + TryChat + ";</script>";

    [Fact]
    public async Task A_page_from_another_origin_cannot_open_a_chat_socket_unless_its_origin_is_allowed()
    {
        await using var listed = await PageServer.StartAsync(Page);
        await using var foreign = await PageServer.StartAsync(Page);
        await using var nats = await NatsServer.StartAsync();
        await using var serve = await ServeProcess.StartAsync(database.ConnectionString, nats.Url,
            environment: new Dictionary<string, string> { ["Chat__AllowedOrigins__0"] = listed.Origin });
        var socketUrl = $"ws://127.0.0.1:{serve.Port}/rooms/origins?name=Visitor";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(foreign.Uri.ToString());
        Assert.Equal("refused", await page.EvaluateAsync<string>("url => window.tryChat(url)", socketUrl));

        await page.GotoAsync(listed.Uri.ToString());
        Assert.Equal("open", await page.EvaluateAsync<string>("url => window.tryChat(url)", socketUrl));

        // The chat server's own page is always allowed.
        await page.GotoAsync(serve.HttpUri.ToString());
        Assert.Equal("open", await page.EvaluateAsync<string>(TryChat, socketUrl));

        // What the browser was told: 403 before the upgrade, and the server logged the refusal.
        using var http = new HttpClient { BaseAddress = serve.HttpUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, "rooms/origins?name=Visitor") { Version = HttpVersion.Version11 };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)));
        request.Headers.Add("Origin", foreign.Origin);
        using var refused = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("\"code\":\"origin_not_allowed\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains($"from origin {foreign.Origin}", serve.Log, StringComparison.Ordinal);
    }
}
