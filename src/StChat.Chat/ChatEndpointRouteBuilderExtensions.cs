using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http;
using StChat.Chat.Accounts;
using StChat.Chat.Conversations;
using StChat.Chat.Security;

namespace StChat.Chat;

public static class ChatEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the chat WebSocket endpoints: <c>/</c> joins the default room, <c>/rooms/{room}</c> a named one,
    /// <c>/dm/{name}</c> and <c>/groups/{id}</c> a direct or group conversation, <c>/ws</c> any number of them.
    /// Adds the WebSocket middleware when <paramref name="endpoints"/> is also the application builder (WebApplication).
    /// </summary>
    public static IEndpointRouteBuilder MapStChatChat(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints is IApplicationBuilder app)
        {
            // The client's address first (from X-Forwarded-For of a trusted proxy only): every per-address limit uses it.
            app.UseForwardedHeaders();
            app.UseMiddleware<RequestBodyLimitMiddleware>();
            // WebSockets next: the session handler accepts ?access_token= only on requests it marks as upgrades, and the
            // Origin check and the limits tell upgrades apart by it.
            app.UseWebSockets();
            app.UseMiddleware<OriginCheckMiddleware>();
            // Before authentication, which reads the session from the database.
            app.UseRateLimiter();
            app.UseMiddleware<DatabaseUnavailableMiddleware>();
            app.UseAuthentication();
        }

        endpoints.MapStChatAccounts();
        endpoints.MapStChatConversations();
        endpoints.MapOpenApi();

        // Delegates rather than RequestDelegates, so that the WebSocket URLs are listed in the OpenAPI document too.
        var endpoint = endpoints.ServiceProvider.GetRequiredService<ChatEndpoint>();
        endpoints.MapGet("/", WebSocket(context => endpoint.HandleRoomAsync(context, room: null)))
            .WithName("DefaultRoomSocket").WithSummary("WebSocket: the default public room (a plain GET serves the page)");
        endpoints.MapGet("/rooms/{room}", WebSocket(context => endpoint.HandleRoomAsync(context, context.GetRouteValue("room") as string)))
            .WithName("RoomSocket").WithSummary("WebSocket: one public room");
        endpoints.MapGet("/dm/{name}", WebSocket(context => endpoint.HandleDirectAsync(context, (string)context.GetRouteValue("name")!)))
            .WithName("DirectSocket").WithSummary("WebSocket: the direct conversation with an account, created on first use");
        endpoints.MapGet("/groups/{id}", WebSocket(context => endpoint.HandleGroupAsync(context, (string)context.GetRouteValue("id")!)))
            .WithName("GroupSocket").WithSummary("WebSocket: one group");
        endpoints.MapGet("/ws", WebSocket(endpoint.HandleMultiAsync))
            .WithName("Socket").WithSummary("WebSocket: follows any number of conversations by subscribe");
        return endpoints;
    }

    private static Delegate WebSocket(Func<HttpContext, Task> handler) => handler;
}
