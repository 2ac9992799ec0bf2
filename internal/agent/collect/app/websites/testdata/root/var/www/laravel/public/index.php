<?php // Laravel front controller
