using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

internal static class ConversationEndpointRouteBuilderExtensions
{
    // The signed-in REST API of conversations and groups; AccountUser.RequireAccount and ConversationFilters guard every path.
    public static IEndpointRouteBuilder MapStChatConversations(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.ServiceProvider.GetRequiredService<ConversationEndpoints>();
        var filters = endpoints.ServiceProvider.GetRequiredService<ConversationFilters>();
        var signedIn = endpoints.MapGroup("/api").AddEndpointFilter(AccountUser.RequireAccount)
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        signedIn.MapGet("/conversations", ChatRequests.Handler(api.ListAsync))
            .WithName("ListConversations").WithSummary("The account's direct and group conversations and followed public rooms, newest activity first")
            .Produces<ConversationList>();
        signedIn.MapPost("/groups", ChatRequests.Handler(api.CreateGroupAsync))
            .WithName("CreateGroup").WithSummary("Create a private group with the given members")
            .Accepts<GroupRequest>("application/json")
            .Produces<ConversationEntry>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status400BadRequest);

        // 404 for a conversation that does not exist and for one the account is not a member of alike.
        var conversation = signedIn.MapGroup("/conversations/{key}").AddEndpointFilter(filters.RequireMemberAsync)
            .ProducesProblem(StatusCodes.Status404NotFound);
        conversation.MapGet("/events", ChatRequests.Handler(api.EventsAsync))
            .WithName("ConversationEvents").WithSummary("Events after a seq (oldest first) or before one (newest first); ?limit= at most 500")
            .Produces<EventPage>().ProducesProblem(StatusCodes.Status400BadRequest);
        conversation.MapPost("/messages", ChatRequests.Handler(api.PostMessageAsync))
            .WithName("PostMessage").WithSummary("Post a message under an Idempotency-Key header: 201 when stored, 200 with the same event when repeated")
            .Accepts<MessageRequest>("application/json")
            .Produces<ChatEvent>(StatusCodes.Status201Created).Produces<ChatEvent>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        conversation.MapPut("/read", ChatRequests.Handler(api.MarkReadAsync))
            .WithName("MarkRead").WithSummary("Move the account's read marker forward (it never moves back)")
            .Accepts<ReadRequest>("application/json")
            .Produces<ReadState>().ProducesProblem(StatusCodes.Status400BadRequest);

        var group = signedIn.MapGroup("/groups/{id}").AddEndpointFilter(filters.RequireMemberAsync)
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPost("/members", ChatRequests.Handler(api.AddMemberAsync))
            .WithName("AddMember").WithSummary("Add an account to the group: a stored member_added event")
            .Accepts<MemberRequest>("application/json")
            .Produces<ChatEvent>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/members/{name}", ChatRequests.Handler(api.RemoveMemberAsync))
            .WithName("RemoveMember").WithSummary("Remove a member (yourself to leave): a stored member_removed event")
            .Produces<ChatEvent>().ProducesProblem(StatusCodes.Status409Conflict);
        return endpoints;
    }
}
