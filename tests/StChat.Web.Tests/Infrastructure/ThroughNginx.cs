using System.Net;
using System.Net.WebSockets;
using Xunit;

namespace StChat.Web.Tests.Infrastructure;

// What a user of nginx in front of the chat server relies on: the page and its script, and the WebSockets of a room
// and of the lobby proxied to the chat server.
internal static class ThroughNginx
{
    public static async Task AssertServesThePageAndWebSocketsAsync(Uri nginx, CancellationToken ct)
    {
        using var http = new HttpClient();

        using var page = await http.GetAsync(nginx, ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>StChat</title>", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        using var script = await http.GetAsync(new Uri(nginx, "app.js"), ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        var ws = new UriBuilder(nginx) { Scheme = "ws" };

        using var room = new ClientWebSocket();
        await room.ConnectAsync(new UriBuilder(ws.Uri) { Path = "/rooms/via-nginx", Query = "name=Proxied" }.Uri, ct);
        var joined = await ChatPageServingTests.ReceiveUntilAsync(room, "\"user\":\"Proxied\"", ct);
        Assert.Contains("\"room\":\"via-nginx\"", joined, StringComparison.Ordinal);

        using var lobby = new ClientWebSocket();
        await lobby.ConnectAsync(new UriBuilder(ws.Uri) { Query = "name=LobbyViaNginx" }.Uri, ct);
        var lobbyJoin = await ChatPageServingTests.ReceiveUntilAsync(lobby, "\"user\":\"LobbyViaNginx\"", ct);
        Assert.Contains("\"room\":\"lobby\"", lobbyJoin, StringComparison.Ordinal);

        await room.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct);
        await lobby.CloseAsync(WebSocketCloseStatus.NormalClosure, "", ct);
    }
}
