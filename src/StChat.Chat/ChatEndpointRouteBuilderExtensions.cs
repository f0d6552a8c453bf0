using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StChat.Chat.Accounts;

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
            // WebSockets first: the session handler accepts ?access_token= only on requests it marks as upgrades.
            app.UseWebSockets();
            app.UseAuthentication();
        }

        endpoints.MapStChatAccounts();

        var endpoint = endpoints.ServiceProvider.GetRequiredService<ChatEndpoint>();
        endpoints.MapGet("/", context => endpoint.HandleRoomAsync(context, room: null));
        endpoints.MapGet("/rooms/{room}", context => endpoint.HandleRoomAsync(context, context.GetRouteValue("room") as string));
        endpoints.MapGet("/dm/{name}", context => endpoint.HandleDirectAsync(context, (string)context.GetRouteValue("name")!));
        endpoints.MapGet("/groups/{id}", context => endpoint.HandleGroupAsync(context, (string)context.GetRouteValue("id")!));
        endpoints.MapGet("/ws", endpoint.HandleMultiAsync);
        return endpoints;
    }
}
