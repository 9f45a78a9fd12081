package demo

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/desk"
	"github.com/seatkeeper/seatkeeper/internal/store"
)

var articles = []desk.Article{
	{Title: "Reset your password", Tags: []string{"password", "account", "login"},
		Body: "Go to the self-service password page, enter your user name and follow the link sent to your phone. Passwords need 12 characters. If your account is locked after five failed logins, wait 15 minutes or ask the service desk."},
	{Title: "Connect to the VPN from home", Tags: []string{"vpn", "network", "remote"},
		Body: "Install the VPN client from the software centre, sign in with your company account and approve the MFA prompt. If the connection times out, switch from Wi-Fi to a cable or restart your router."},
	{Title: "Set up multi-factor authentication (MFA)", Tags: []string{"mfa", "account", "security"},
		Body: "Install the authenticator app, scan the QR code on the security page and enter the six-digit code. A new phone needs the old one or a reset by the service desk."},
	{Title: "Printer shows offline", Tags: []string{"printer", "hardware"},
		Body: "Check the printer is on the office Wi-Fi, remove and add it again in Settings > Printers, and clear stuck jobs. Toner and paper jams go to facilities."},
	{Title: "Request new software", Tags: []string{"software", "install", "licence"},
		Body: "Open the software centre and choose Request. Paid software needs your manager's approval; the approval request arrives by email and in the portal."},
	{Title: "Outlook does not sync", Tags: []string{"outlook", "email", "software"},
		Body: "Close Outlook, start it again with the /resetnavpane switch, and check you are online. A full mailbox stops syncing: archive old mail."},
	{Title: "Order a laptop or monitor", Tags: []string{"laptop", "monitor", "hardware"},
		Body: "Hardware is ordered in the portal's catalogue. Standard laptops ship in five working days; a second monitor needs a business reason."},
	{Title: "Wi-Fi in the office", Tags: []string{"wifi", "network"},
		Body: "Use the Corp network with your company account. Guests use Guest with the daily code from reception."},
	{Title: "Share a mailbox or calendar", Tags: []string{"outlook", "email", "calendar"},
		Body: "Shared mailboxes are requested in the portal; the owner approves. Calendars are shared from Outlook's calendar permissions."},
	{Title: "Report a security incident", Tags: []string{"security", "phishing"},
		Body: "Forward phishing to the security mailbox and do not click links. For a lost laptop or phone call the service desk at once, day or night."},
}

// demoTicket is a seeded ticket and where it has got to.
type demoTicket struct {
	requester, title, description, category string
	priority                                desk.Priority
	path                                    []desk.State
	assignee                                string
	comment, note                           string
}

var tickets = []demoTicket{
	{"requester@example.com", "VPN times out from home", "Since Monday the VPN drops after a minute.", "network", desk.PriorityHigh,
		[]desk.State{desk.StateInProgress}, "agent@example.com", "It happens on Wi-Fi and on cable.", "Concentrator logs show MTU issues for this client version."},
	{"requester@example.com", "New starter needs a laptop", "Our new hire starts on the 1st.", "hardware", desk.PriorityMedium, nil, "", "", ""},
	{"requester@example.com", "Printer on 3rd floor offline", "", "hardware", desk.PriorityLow,
		[]desk.State{desk.StateInProgress, desk.StateResolved}, "agent@example.com", "", "Re-added the printer to the print server."},
	{"requester@example.com", "Locked out after password change", "", "access", desk.PriorityCritical,
		[]desk.State{desk.StateInProgress, desk.StateResolved, desk.StateClosed}, "agent@example.com", "Thanks, works again.", "Unlocked in the directory."},
	{"requester@example.com", "Excel crashes on large files", "64-bit Excel closes when opening the budget file.", "software", desk.PriorityMedium,
		[]desk.State{desk.StateOnHold}, "floater@example.com", "", "Waiting for the vendor's patch."},
}

func seedArticles(ctx context.Context, st *store.Store) error {
	by := desk.By{Actor: actor, UserName: "agent@example.com"}
	for _, a := range articles {
		a.Author = "agent@example.com"
		if _, err := st.CreateArticle(ctx, by, a); err != nil {
			return fmt.Errorf("demo article %q: %w", a.Title, err)
		}
	}
	return nil
}

func seedTickets(ctx context.Context, st *store.Store) error {
	for _, d := range tickets {
		req, err := st.GetUser(ctx, d.requester)
		if err != nil {
			return err
		}
		t, err := st.CreateTicket(ctx, desk.By{Actor: actor, User: req.ID, UserName: req.UserName}, req.ID,
			desk.NewTicket{Title: d.title, Description: d.description, Category: d.category, Priority: d.priority})
		if err != nil {
			return fmt.Errorf("demo ticket %q: %w", d.title, err)
		}
		var agent desk.By
		if d.assignee != "" {
			a, err := st.GetUser(ctx, d.assignee)
			if err != nil {
				return err
			}
			agent = desk.By{Actor: actor, User: a.ID, UserName: a.UserName}
			if _, err := st.ChangeTicket(ctx, agent, t.ID, desk.Change{Assignee: &a.ID}); err != nil {
				return fmt.Errorf("demo assign: %w", err)
			}
		}
		changes := []desk.Change{}
		if d.note != "" {
			changes = append(changes, desk.Change{Note: &desk.Note{Kind: desk.KindWorkNote, Body: d.note}})
		}
		for _, s := range d.path {
			changes = append(changes, desk.Change{State: s})
		}
		for _, ch := range changes {
			if _, err := st.ChangeTicket(ctx, agent, t.ID, ch); err != nil {
				return fmt.Errorf("demo ticket %q: %w", d.title, err)
			}
		}
		if d.comment != "" {
			by := desk.By{Actor: actor, User: req.ID, UserName: req.UserName}
			if _, err := st.ChangeTicket(ctx, by, t.ID, desk.Change{Note: &desk.Note{Kind: desk.KindComment, Body: d.comment}}); err != nil {
				return fmt.Errorf("demo comment: %w", err)
			}
		}
	}
	return nil
}
