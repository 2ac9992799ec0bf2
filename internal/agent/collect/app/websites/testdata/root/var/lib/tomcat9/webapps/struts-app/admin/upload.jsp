<% out.println("x"); %>
