using System.Net;
using System.Net.WebSockets;
using System.Text;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

[Collection(StackCollection.Name)]
public sealed class ChatPageServingTests(StackFixture stack)
{
    [Fact]
    public async Task Plain_GET_of_root_returns_the_page_with_a_strict_content_security_policy()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(stack.Serve.HttpUri);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(' ', response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"app.js\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("app.js", "text/javascript")]
    [InlineData("common.js", "text/javascript")]
    [InlineData("api.js", "text/javascript")]
    [InlineData("conversation.js", "text/javascript")]
    [InlineData("account.js", "text/javascript")]
    [InlineData("app.css", "text/css")]
    public async Task Page_assets_are_served_with_their_content_type(string file, string mediaType)
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(stack.Serve.HttpUri, file));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_path_outside_the_page_files_is_not_served()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(stack.Serve.HttpUri, "../config/appsettings.json"));

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_WebSocket_upgrade_of_root_still_joins_the_lobby()
    {
        using var socket = new ClientWebSocket();
        var uri = new UriBuilder(stack.Serve.HttpUri) { Scheme = "ws", Query = "name=Root" }.Uri;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, timeout.Token);

        var frame = await ReceiveUntilAsync(socket, "\"user\":\"Root\"", timeout.Token);

        Assert.Contains("\"room\":\"lobby\"", frame, StringComparison.Ordinal);
        Assert.Contains("\"action\":\"join\"", frame, StringComparison.Ordinal);
    }

    internal static async Task<string> ReceiveUntilAsync(WebSocket socket, string needle, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), ct);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"The server closed the socket before sending a frame with {needle}.");
            }

            var text = Encoding.UTF8.GetString(buffer, 0, count);
            if (text.Contains(needle, StringComparison.Ordinal))
            {
                return text;
            }
        }
    }
}
