using System.Net;
using System.Net.WebSockets;
using Xunit;

namespace StChat.Web.Tests.Infrastructure;

// What a user of nginx in front of the chat server relies on: the page and its scripts, the REST API, and the
// WebSockets of a room and of the lobby proxied to the chat server.
internal static class ThroughNginx
{
    public static async Task AssertServesThePageAndWebSocketsAsync(Uri nginx, CancellationToken ct)
    {
        using var http = new HttpClient();

        using var page = await http.GetAsync(nginx, ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>StChat</title>", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        foreach (var file in (string[])["app.js", "common.js", "api.js", "conversation.js", "account.js", "app.css"])
        {
            using var asset = await http.GetAsync(new Uri(nginx, file), ct);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        }

        // The REST API reaches the chat server: its problem details, not nginx's own 404 page.
        using var me = await http.GetAsync(new Uri(nginx, "api/me"), ct);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Contains("\"code\":\"unauthorized\"", await me.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        // So do the signed-in sockets: a plain GET gets the chat server's "This is a WebSocket endpoint".
        foreach (var path in (string[])["ws", "dm/someone", "groups/0123456789abcdef0123"])
        {
            using var socketPath = await http.GetAsync(new Uri(nginx, path), ct);
            Assert.Equal(HttpStatusCode.BadRequest, socketPath.StatusCode);
            Assert.Contains("WebSocket endpoint", await socketPath.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        var ws = new UriBuilder(nginx) { Scheme = "ws" };

        using var room = new ClientWebSocket();
        await room.ConnectAsync(new UriBuilder(ws.Uri) { Path = "/rooms/via-nginx", Query = "name=Proxied" }.Uri, ct);
        var joined = await ChatPageServingTests.ReceiveUntilAsync(room, "\"user\":\"Proxied\"", ct);
        Assert.Contains("\"room\":\"via-nginx\"", joined, StringComparison.Ordinal);

        using var lobby = new ClientWebSocket();
        await lobby.ConnectAsync(new UriBuilder(ws.Uri) { Query = "name=LobbyViaNginx" }.Uri, ct);
        var lobbyJoin = await ChatPageServingTests.ReceiveUntilAsync(lobby, "\"user\":\"LobbyViaNginx\"", ct);
        Assert.Contains("\"room\":\"lobby\"", lobbyJoin, StringComparison.Ordinal);

        // A page served by nginx sends nginx's origin, which the chat server takes for its own: nginx passes the Host
        // with its port.
        using var fromPage = new ClientWebSocket();
        fromPage.Options.SetRequestHeader("Origin", nginx.GetLeftPart(UriPartial.Authority));
        await fromPage.ConnectAsync(new UriBuilder(ws.Uri) { Path = "/rooms/via-nginx", Query = "name=FromPage" }.Uri, ct);
        await fromPage.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct);

        await room.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct);
        await lobby.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct);
    }
}
